{{ config(severity='warn') }}

-- Data quality (warn): events that landed more than
-- var('late_arrival_warn_hours') (default 72) after their own time, one row
-- per day they landed on. Needs the raw table's ingestion-time column
-- (loaded_at); without it staging's loaded_at is null and nothing warns.
-- Late events are staged like any other (incremental runs are exact in any
-- arrival order), but the days they belong to changed after they were
-- reported.

{%- set late_hours = var('late_arrival_warn_hours', 72) | int %}

with

events as (

    select
        event_at,
        loaded_at
    from {{ ref('stg_conversation_events') }}
    where loaded_at is not null

),

late_events as (

    select
        cast(loaded_at as date) as loaded_date,
        {{ conversation_analytics.seconds_between('event_at', 'loaded_at') }} / 3600.0
            as hours_late
    from events
    where loaded_at > {{ dbt.dateadd('hour', late_hours, 'event_at') }}

)

select
    loaded_date,
    count(*) as late_events,
    max(hours_late) as max_hours_late
from late_events
group by loaded_date
