{#- The raw metadata column as a parsed JSON value, whatever its declared
    type: json/jsonb columns are already parsed, text is parsed safely. -#}
{% macro metadata_to_json(column_name, data_type) -%}
    {%- set declared = (data_type or 'text') | lower -%}
    {%- if declared in ('json', 'jsonb') -%}
        {{ column_name }}
    {%- else -%}
        {{ conversation_analytics.parse_json_text(column_name) }}
    {%- endif -%}
{%- endmacro %}
