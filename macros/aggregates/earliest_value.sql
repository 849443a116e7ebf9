{#- Aggregate: value_expr of the group's earliest row (by `order_by`, a
    list of columns, ascending) among the rows where condition_expr holds;
    null when none does. The value of that row is taken even when it is
    null. `order_by` must make the order total (end it with a unique
    column) so the choice is repeatable. -#}
{% macro earliest_value(value_expr, condition_expr, order_by='event_at, event_id') -%}
    {{ return(adapter.dispatch('earliest_value', 'conversation_analytics')(
        value_expr, condition_expr, order_by
    )) }}
{%- endmacro %}

{% macro default__earliest_value(value_expr, condition_expr, order_by) -%}
    (
        array_agg({{ value_expr }} order by {{ order_by }})
        filter (where {{ condition_expr }})
    )[1]
{%- endmacro %}

{% macro duckdb__earliest_value(value_expr, condition_expr, order_by) -%}
    {#- arg_min_null keeps a null value of the earliest row, as the default
        does; the order is the row value of the `order_by` columns. -#}
    arg_min_null({{ value_expr }}, ({{ order_by }})) filter (where {{ condition_expr }})
{%- endmacro %}

{% macro spark__earliest_value(value_expr, condition_expr, order_by) -%}
    {#- min_by keeps a null value of the earliest row, as the default does. -#}
    min_by({{ value_expr }}, struct({{ order_by }})) filter (where {{ condition_expr }})
{%- endmacro %}
