with

windowed_conversations as (

    select * from {{ ref('int_conversations_in_summary_windows') }}

),

windows_counted as (

    select
        window_days,
        count(conversation_id) as window_conversations
    from windowed_conversations
    group by window_days

),

signals_listed as (

    -- Every signal kind, so each window has all three rows.
    select 'explicit' as satisfaction_signal
    union all
    select 'implicit' as satisfaction_signal
    union all
    select 'none' as satisfaction_signal

),

windows_by_signal as (

    select
        windows_counted.window_days,
        windows_counted.window_conversations,
        signals_listed.satisfaction_signal
    from windows_counted
    cross join signals_listed

),

conversations_by_signal as (

    select
        windows_by_signal.window_days,
        windows_by_signal.window_conversations,
        windows_by_signal.satisfaction_signal,
        windowed_conversations.conversation_id,
        windowed_conversations.user_turns,
        windowed_conversations.duration_seconds,
        windowed_conversations.satisfaction_score,
        windowed_conversations.rephrase_count,
        windowed_conversations.was_completed,
        windowed_conversations.was_abandoned,
        windowed_conversations.had_handoff,
        windowed_conversations.outcome
    from windows_by_signal
    left join windowed_conversations
        on
            windows_by_signal.window_days = windowed_conversations.window_days
            and windows_by_signal.satisfaction_signal = windowed_conversations.satisfaction_signal

),

signals_summarised as (

    -- What the window's satisfaction scores rest on: explicit feedback, an
    -- implicit rule only, or nothing (the neutral score).
    select
        window_days,
        satisfaction_signal,
        {{ conversation_analytics.round_half_away(
            conversation_analytics.percentage('count(conversation_id)', 'window_conversations'), 1
        ) }} as conversation_share,
        {{ conversation_analytics.conversation_rate_aggregates() }}
    from conversations_by_signal
    group by window_days, satisfaction_signal, window_conversations

)

select * from signals_summarised
