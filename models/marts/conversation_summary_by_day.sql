with

windowed_conversations as (

    select * from {{ ref('int_conversations_in_summary_windows') }}

),

days_summarised as (

    -- conversation_summary per day the conversations started (UTC), over
    -- every agent and channel. The first day of a window is partial: the
    -- window starts at the as-of time of day.
    select
        window_days,
        started_date,
        {{ conversation_analytics.conversation_rate_aggregates() }}
    from windowed_conversations
    where conversation_id is not null
    group by window_days, started_date

)

select * from days_summarised
