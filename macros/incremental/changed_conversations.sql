{#- A query of the conversation ids changed since the calling incremental
    model's watermark (`staged_batch` in its own table): those that
    received a staged event, and those that lost one to a copy that moved
    it to another conversation (`replaced_conversation_id`). -#}
{% macro changed_conversations() -%}
    {%- set staged = ref('stg_conversation_events') -%}
    select changed.conversation_id
    from {{ staged }} as changed
    where changed.staged_batch > {{ conversation_analytics.last_staged_batch(this) }}
    union
    select moved.replaced_conversation_id as conversation_id
    from {{ staged }} as moved
    where
        moved.staged_batch > {{ conversation_analytics.last_staged_batch(this) }}
        and moved.replaced_conversation_id is not null
{%- endmacro %}
