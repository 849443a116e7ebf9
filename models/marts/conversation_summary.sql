with

windowed_conversations as (

    select * from {{ ref('int_conversations_in_summary_windows') }}

),

summarised as (

    -- get_conversation_metrics from the article the project started from
    -- ("Agent Conversation Analytics: Understanding User Behavior and Agent
    -- Performance", CallSphere blog, 2026), one row per trailing window.
    select
        window_days,
        window_start_at,
        as_of_at,
        {{ conversation_analytics.conversation_rate_aggregates() }}
    from windowed_conversations
    group by window_days, window_start_at, as_of_at

)

select * from summarised
