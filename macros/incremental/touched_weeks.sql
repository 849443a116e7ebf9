{#- A query of the weeks (Monday dates) a weekly mart must rebuild: the
    weeks of the touched days, and the week after each, whose comparison
    with its previous week changes with them. -#}
{% macro touched_weeks() -%}
    {%- set week = conversation_analytics.week_start('touched_days.started_date') -%}
    select {{ week }} as week_start
    from ({{ conversation_analytics.touched_started_dates() }}) as touched_days
    union
    select cast({{ dbt.dateadd('day', 7, week) }} as date) as week_start
    from ({{ conversation_analytics.touched_started_dates() }}) as touched_days
{%- endmacro %}
