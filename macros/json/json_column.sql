{#- A parsed JSON value as a model's column holds it, and such a column
    read back as a parsed value. A pass-through where the warehouse's JSON
    type travels everywhere (DuckDB's JSON, PostgreSQL's jsonb); on Spark
    the column is JSON text, since a VARIANT column cannot cross the Thrift
    protocol that dbt reads column types through. -#}
{% macro json_column(json_expr) -%}
    {{ return(adapter.dispatch('json_column', 'conversation_analytics')(json_expr)) }}
{%- endmacro %}

{% macro default__json_column(json_expr) -%}
    {{ json_expr }}
{%- endmacro %}

{% macro spark__json_column(json_expr) -%}
    to_json({{ json_expr }})
{%- endmacro %}

{% macro json_column_value(column_name) -%}
    {{ return(adapter.dispatch('json_column_value', 'conversation_analytics')(column_name)) }}
{%- endmacro %}

{% macro default__json_column_value(column_name) -%}
    {{ column_name }}
{%- endmacro %}

{% macro spark__json_column_value(column_name) -%}
    try_parse_json({{ column_name }})
{%- endmacro %}
