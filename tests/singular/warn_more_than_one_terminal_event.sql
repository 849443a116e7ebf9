{{ config(severity='warn') }}

-- Data quality (warn): conversations that ended more than once (two
-- `completed`, or `completed` and `abandoned`). Outcome precedence decides.

select
    conversation_id,
    count(*) as terminal_event_count
from {{ ref('stg_conversation_events') }}
where event_type in ('completed', 'abandoned')
group by conversation_id
having count(*) > 1
