{#- The values under `keys` of a JSON object, read in one pass, as one
    column for json_field() to pick from: DuckDB parses the text once into a
    list; PostgreSQL's jsonb needs no second parse and keeps the object. -#}
{% macro json_fields(json_expr, keys) -%}
    {{ return(adapter.dispatch('json_fields', 'conversation_analytics')(json_expr, keys)) }}
{%- endmacro %}

{% macro default__json_fields(json_expr, keys) -%}
    {{ json_expr }}
{%- endmacro %}

{% macro duckdb__json_fields(json_expr, keys) -%}
    json_extract({{ json_expr }}, [
        {%- for key in keys %}
        '$."{{ key }}"'{{ ',' if not loop.last }}
        {%- endfor %}
    ])
{%- endmacro %}
