{#- The raw metadata column as a parsed JSON value, whatever its declared
    type: json/jsonb columns are already parsed, text is parsed safely, and
    a column of unknown type (a unit-test fixture) goes through text. -#}
{% macro metadata_to_json(column_name, data_type) -%}
    {%- set declared = (data_type or '') | lower -%}
    {%- if declared in ('json', 'jsonb', 'variant') -%}
        {{ column_name }}
    {%- elif declared -%}
        {{ conversation_analytics.parse_json_text(column_name) }}
    {%- else -%}
        {{ conversation_analytics.parse_json_text(
            'cast(' ~ column_name ~ ' as ' ~ dbt.type_string() ~ ')'
        ) }}
    {%- endif -%}
{%- endmacro %}
