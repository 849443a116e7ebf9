{#- The columns every raw conversation_events table must have, lowercase
    (docs/event-contract.md). -#}
{% macro raw_columns() -%}
    {{ return(['id', 'conversation_id', 'user_id', 'event_type', 'timestamp', 'metadata']) }}
{%- endmacro %}
