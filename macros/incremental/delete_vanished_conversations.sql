{#- pre-hook of fct_conversations: on an incremental run, delete the
    conversations the rollup no longer has (every event of theirs moved to
    another conversation with a re-delivered copy), which no new row would
    replace. Only a conversation changed since the last run can have
    vanished, so only those are looked up: comparing every stored
    conversation with the rollup grew with the history, and PostgreSQL
    runs a `not in` over a subquery larger than work_mem row by row (at
    10M events it ran for more than ten minutes). -#}
{% macro delete_vanished_conversations() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as vanished
        where
            vanished.conversation_id in ({{ conversation_analytics.changed_conversations() }})
            and not exists (
                select 1
                from {{ ref('int_events_rolled_up_to_conversations') }} as rolled_up
                where rolled_up.conversation_id = vanished.conversation_id
            )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
