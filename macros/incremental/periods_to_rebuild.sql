{#- The condition that keeps, on an incremental run, the periods a mart set
    up by incremental_by_touched_periods rebuilds: `compared` (the period
    column, or an expression of the rows a model reads early, such as the
    week of `started_at`) is one of the periods `periods_macro` selects, or,
    with `open_condition`, the period of a stored row that meets it. The
    mechanism's own `where` and the early filters of the marts' inputs
    render it alike, so both keep the same periods. -#}
{% macro periods_to_rebuild(period_column, periods_macro, open_condition=none, compared=none) -%}
    {%- set compared = period_column if compared is none else compared -%}
    {{ compared }} in ({{ conversation_analytics.touched_periods(periods_macro) }})
    {%- if open_condition %}
        or {{ compared }} in (
            select open_periods.{{ period_column }}
            from {{ this }} as open_periods
            where {{ open_condition }}
        )
    {%- endif -%}
{%- endmacro %}
