{#- The JSON value under `key`, from a column made by json_fields() with
    the same `keys`. -#}
{% macro json_field(fields_expr, keys, key) -%}
    {{ return(adapter.dispatch('json_field', 'conversation_analytics')(fields_expr, keys, key)) }}
{%- endmacro %}

{% macro default__json_field(fields_expr, keys, key) -%}
    {{ conversation_analytics.adapter_not_supported('json_field') }}
{%- endmacro %}

{% macro postgres__json_field(fields_expr, keys, key) -%}
    ({{ fields_expr }} -> '{{ key }}')
{%- endmacro %}

{% macro duckdb__json_field(fields_expr, keys, key) -%}
    {{ fields_expr }}[{{ keys.index(key) + 1 }}]
{%- endmacro %}

{% macro spark__json_field(fields_expr, keys, key) -%}
    variant_get({{ fields_expr }}, '$["{{ key }}"]')
{%- endmacro %}
