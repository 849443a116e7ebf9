{#- A query of the days conversation_metrics_daily must rebuild: the
    touched days (touched_started_dates) and the days it stored as
    provisional (a conversation still in progress), whose conversations
    time out as the as-of time moves on without any new event. -#}
{% macro touched_or_open_started_dates() -%}
    {{ conversation_analytics.touched_started_dates() }}
    union
    select open_days.started_date
    from {{ this }} as open_days
    where open_days.is_provisional
{%- endmacro %}
