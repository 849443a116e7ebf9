{#- A JSON scalar as text: a string without its quotes, a number or a
    boolean as written. -#}
{% macro json_unquote(json_expr) -%}
    {{ return(adapter.dispatch('json_unquote', 'conversation_analytics')(json_expr)) }}
{%- endmacro %}

{% macro default__json_unquote(json_expr) -%}
    {{ conversation_analytics.adapter_not_supported('json_unquote') }}
{%- endmacro %}

{% macro postgres__json_unquote(json_expr) -%}
    ({{ json_expr }} #>> '{}')
{%- endmacro %}

{% macro duckdb__json_unquote(json_expr) -%}
    json_extract_string({{ json_expr }}, '$')
{%- endmacro %}

{% macro spark__json_unquote(json_expr) -%}
    cast({{ json_expr }} as string)
{%- endmacro %}
