{#- The schema that holds the project's helper functions (PostgreSQL),
    quoted. -#}
{% macro json_functions_schema() -%}
    {{ adapter.quote(target.schema) }}
{%- endmacro %}
