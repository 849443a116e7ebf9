{#- A query of the UTC dates that a daily mart must rebuild: every date on
    which a changed conversation has an event. A conversation's start date,
    before and after its new events, is always the date of one of its
    events, so a conversation that moved to another day leaves both days
    in this set. -#}
{% macro touched_started_dates() -%}
    select distinct cast(event_at as date) as started_date
    from {{ ref('stg_conversation_events') }}
    where conversation_id in ({{ conversation_analytics.changed_conversations() }})
{%- endmacro %}
