{#- The JSON text of an object built from `pairs`, a list of [key, SQL
    expression] pairs: text values become JSON strings, numbers numbers,
    booleans booleans, SQL null JSON null. -#}
{% macro json_object_text(pairs) -%}
    {{ return(adapter.dispatch('json_object_text', 'conversation_analytics')(pairs)) }}
{%- endmacro %}

{% macro default__json_object_text(pairs) -%}
    {{ conversation_analytics.adapter_not_supported('json_object_text') }}
{%- endmacro %}

{% macro postgres__json_object_text(pairs) -%}
    cast(jsonb_build_object(
        {%- for key, expr in pairs %}
        '{{ key }}', {{ expr }}{{ ',' if not loop.last }}
        {%- endfor %}
    ) as text)
{%- endmacro %}

{% macro duckdb__json_object_text(pairs) -%}
    cast(json_object(
        {%- for key, expr in pairs %}
        '{{ key }}', {{ expr }}{{ ',' if not loop.last }}
        {%- endfor %}
    ) as varchar)
{%- endmacro %}

{#- Spark: to_json of a struct, keeping null fields as JSON null. -#}
{% macro spark__json_object_text(pairs) -%}
    to_json(named_struct(
        {%- for key, expr in pairs %}
        '{{ key }}', {{ expr }}{{ ',' if not loop.last }}
        {%- endfor %}
    ), map('ignoreNullFields', 'false'))
{%- endmacro %}
