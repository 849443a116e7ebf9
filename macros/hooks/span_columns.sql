{#- The columns every raw span table must have, lowercase
    (docs/opentelemetry.md). -#}
{% macro span_columns() -%}
    {{ return([
        'trace_id', 'span_id', 'parent_span_id', 'name', 'kind', 'start_time', 'end_time',
        'status_code', 'status_message', 'resource_attributes', 'attributes', 'events',
        'loaded_at',
    ]) }}
{%- endmacro %}
