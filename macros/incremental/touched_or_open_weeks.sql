{#- A query of the weeks agent_performance_weekly must rebuild: the
    touched weeks (touched_weeks) and the weeks it stored as not complete,
    which a later as-of time completes without any new event in them. -#}
{% macro touched_or_open_weeks() -%}
    {{ conversation_analytics.touched_weeks() }}
    union
    select open_weeks.week_start
    from {{ this }} as open_weeks
    where not open_weeks.is_complete_week
{%- endmacro %}
