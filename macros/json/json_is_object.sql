{#- True when a parsed JSON value is an object, false for arrays and
    scalars, null for null. -#}
{% macro json_is_object(json_expr) -%}
    {{ return(adapter.dispatch('json_is_object', 'conversation_analytics')(json_expr)) }}
{%- endmacro %}

{% macro default__json_is_object(json_expr) -%}
    jsonb_typeof({{ json_expr }}) = 'object'
{%- endmacro %}

{% macro duckdb__json_is_object(json_expr) -%}
    json_type({{ json_expr }}) = 'OBJECT'
{%- endmacro %}

