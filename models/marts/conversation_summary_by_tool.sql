with

windowed_conversations as (

    select * from {{ ref('int_conversations_in_summary_windows') }}

),

calls_per_conversation as (

    select * from {{ ref('int_tool_calls_rolled_up_to_conversations') }}

),

tool_conversations as (

    -- One row per window, conversation and tool it called.
    select
        windowed_conversations.window_days,
        calls_per_conversation.tool_name,
        calls_per_conversation.call_count,
        calls_per_conversation.error_count,
        windowed_conversations.conversation_id,
        windowed_conversations.user_turns,
        windowed_conversations.duration_seconds,
        windowed_conversations.satisfaction_score,
        windowed_conversations.rephrase_count,
        windowed_conversations.was_completed,
        windowed_conversations.was_abandoned,
        windowed_conversations.had_handoff,
        windowed_conversations.outcome
    from windowed_conversations
    inner join calls_per_conversation
        on windowed_conversations.conversation_id = calls_per_conversation.conversation_id

),

tools_summarised as (

    -- The tool's calls, how often they failed, and the rate metrics of the
    -- window's conversations that called it.
    select
        window_days,
        tool_name,
        cast(sum(call_count) as {{ dbt.type_bigint() }}) as total_calls,
        cast(sum(error_count) as {{ dbt.type_bigint() }}) as error_calls,
        {{ conversation_analytics.round_half_away(
            conversation_analytics.percentage('sum(error_count)', 'sum(call_count)'), 1
        ) }} as error_rate,
        {{ conversation_analytics.conversation_rate_aggregates() }}
    from tool_conversations
    group by window_days, tool_name

)

select * from tools_summarised
