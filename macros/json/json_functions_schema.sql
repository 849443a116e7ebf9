{#- The schema that holds the project's helper functions (PostgreSQL). -#}
{% macro json_functions_schema() -%}
    {{ target.schema }}
{%- endmacro %}
