{{ config(severity='warn') }}

-- Data quality (warn): conversations whose earliest event is not `started`
-- (a lost or late start event; started_at falls back to the first event).

with

events as (

    select * from {{ ref('stg_conversation_events') }}

),

first_events as (

    select
        conversation_id,
        event_type,
        row_number() over (
            partition by conversation_id
            order by event_at, case when event_type = 'started' then 0 else 1 end, event_id
        ) as event_rank
    from events

)

select
    conversation_id,
    event_type as first_event_type
from first_events
where event_rank = 1 and event_type != 'started'
