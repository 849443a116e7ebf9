{#- A query of the conversation ids with events staged after the calling
    incremental model's watermark (`staged_at` in its own table). -#}
{% macro changed_conversations() -%}
    select distinct conversation_id
    from {{ ref('stg_conversation_events') }}
    where staged_at > {{ conversation_analytics.last_staged_at(this) }}
{%- endmacro %}
