{{ config(severity='warn') }}

-- Data quality (warn): events stamped after the conversation's first
-- terminal event (`completed` or `abandoned`), feedback excepted, since
-- users rate a conversation after it ends.

with

events as (

    select * from {{ ref('stg_conversation_events') }}

),

first_terminal as (

    select
        conversation_id,
        min(event_at) as ended_at
    from events
    where event_type in ('completed', 'abandoned')
    group by conversation_id

)

select
    events.conversation_id,
    events.event_id,
    events.event_type,
    events.event_at,
    first_terminal.ended_at
from events
inner join first_terminal
    on events.conversation_id = first_terminal.conversation_id
where
    events.event_at > first_terminal.ended_at
    and events.event_type not in ('feedback_received', 'completed', 'abandoned')
