{#- The value under a top-level key of a JSON object, as text; null when the
    key is missing or null. Nested values come back as JSON text. -#}
{% macro json_get_text(json_expr, key) -%}
    {{ return(adapter.dispatch('json_get_text', 'conversation_analytics')(json_expr, key)) }}
{%- endmacro %}

{% macro default__json_get_text(json_expr, key) -%}
    {{ conversation_analytics.adapter_not_supported('json_get_text') }}
{%- endmacro %}

{% macro postgres__json_get_text(json_expr, key) -%}
    ({{ json_expr }} ->> '{{ key }}')
{%- endmacro %}

{% macro duckdb__json_get_text(json_expr, key) -%}
    json_extract_string({{ json_expr }}, '$."{{ key }}"')
{%- endmacro %}

{% macro spark__json_get_text(json_expr, key) -%}
    variant_get({{ json_expr }}, '$["{{ key }}"]', 'string')
{%- endmacro %}
