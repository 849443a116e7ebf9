{#- pre-hook of fct_conversations: on an incremental run, delete the
    conversations the rollup no longer has (every event of theirs moved to
    another conversation with a re-delivered copy), which no new row would
    replace. -#}
{% macro delete_vanished_conversations() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where conversation_id not in (
            select rolled_up.conversation_id
            from {{ ref('int_events_rolled_up_to_conversations') }} as rolled_up
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
