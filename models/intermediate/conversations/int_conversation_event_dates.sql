with

events as (

    -- Incremental runs take every event of the conversations changed since
    -- the last run, so each is computed again from all its events.
    select * from {{ ref('stg_conversation_events') }}
    {{ conversation_analytics.incremental_by_changed_conversations(indexes=[
        {'columns': ['conversation_id']},
        {'columns': ['staged_at']},
    ]) }}

),

event_dates_listed as (

    select
        conversation_id,
        cast(event_at as date) as event_date,
        max(staged_at) as staged_at
    from events
    group by conversation_id, cast(event_at as date)

)

select * from event_dates_listed
