with

conversations as (

    select * from {{ ref('int_conversations_scored') }}

),

summary_windows as (

    select * from {{ ref('summary_windows') }}

),

as_of as (

    select {{ conversation_analytics.as_of_timestamp(ref('stg_conversation_events')) }} as as_of_at

),

windows_anchored as (

    select
        summary_windows.window_days,
        as_of.as_of_at,
        {{ dbt.dateadd('day', '-1 * summary_windows.window_days', 'as_of.as_of_at') }}
            as window_start_at
    from summary_windows
    cross join as_of

),

conversations_windowed as (

    -- Each window keeps the conversations that started in
    -- (as-of minus window, as-of]; a window with none keeps one empty row.
    select
        windows_anchored.window_days,
        windows_anchored.window_start_at,
        windows_anchored.as_of_at,
        conversations.conversation_id,
        conversations.user_turns,
        conversations.abandoned_at_turn,
        conversations.duration_seconds,
        conversations.satisfaction_score,
        conversations.rephrase_count,
        conversations.was_completed,
        conversations.was_abandoned,
        conversations.had_handoff
    from windows_anchored
    left join conversations
        on
            windows_anchored.window_start_at < conversations.started_at
            and windows_anchored.as_of_at >= conversations.started_at

)

select * from conversations_windowed
