{#- A query of the conversation ids changed since a watermark: those that
    received a staged event in a later batch, and those that lost one to a
    copy that moved it to another conversation (`replaced_conversation_id`).
    The watermark is, by default, the calling incremental model's own
    (`staged_batch` in its table). -#}
{% macro changed_conversations(since=none) -%}
    {%- set staged = ref('stg_conversation_events') -%}
    {%- set since = conversation_analytics.last_staged_batch(this) if since is none else since -%}
    select changed.conversation_id
    from {{ staged }} as changed
    where changed.staged_batch > {{ since | int }}
    union
    select moved.replaced_conversation_id as conversation_id
    from {{ staged }} as moved
    where
        moved.staged_batch > {{ since | int }}
        and moved.replaced_conversation_id is not null
{%- endmacro %}
