with

windowed_conversations as (

    select * from {{ ref('int_conversations_in_summary_windows') }}

),

summarised as (

    -- The article's get_conversation_metrics, one row per trailing window.
    select
        window_days,
        window_start_at,
        as_of_at,
        {{ conversation_analytics.conversation_rate_aggregates() }}
    from windowed_conversations
    group by window_days, window_start_at, as_of_at

)

select * from summarised
