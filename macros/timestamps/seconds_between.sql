{#- Fractional seconds from start_expr to end_expr (microsecond exact),
    as a double. -#}
{% macro seconds_between(start_expr, end_expr) -%}
    {{ return(adapter.dispatch('seconds_between', 'conversation_analytics')(start_expr, end_expr)) }}
{%- endmacro %}

{% macro default__seconds_between(start_expr, end_expr) -%}
    (
        cast({{ dbt.datediff(start_expr, end_expr, 'microsecond') }}
            as {{ conversation_analytics.type_double() }})
        / 1000000
    )
{%- endmacro %}

{% macro postgres__seconds_between(start_expr, end_expr) -%}
    cast(
        extract(epoch from ({{ end_expr }} - {{ start_expr }}))
        as {{ conversation_analytics.type_double() }}
    )
{%- endmacro %}

{% macro spark__seconds_between(start_expr, end_expr) -%}
    (
        cast(unix_micros({{ end_expr }}) - unix_micros({{ start_expr }})
            as {{ conversation_analytics.type_double() }})
        / 1000000
    )
{%- endmacro %}
