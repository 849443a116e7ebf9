{#- A query of the UTC dates that a daily mart must rebuild: every date on
    which a conversation that changed since the mart's watermark (its own
    `staged_batch`) has, or had, an event, read from
    int_conversation_event_dates. A conversation's start date, before and
    after the change, is the date of one of its events, or of an event it
    lost to a re-delivered copy, so a conversation that moved to another
    day leaves both days in this set. -#}
{% macro touched_started_dates() -%}
    {%- set event_dates = ref('int_conversation_event_dates') -%}
    select distinct event_date as started_date
    from {{ event_dates }}
    where conversation_id in (
        select changed.conversation_id
        from {{ event_dates }} as changed
        where changed.staged_batch > {{ conversation_analytics.last_staged_batch(this) }}
    )
{%- endmacro %}
