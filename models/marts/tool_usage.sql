with

calls_per_conversation as (

    select * from {{ ref('int_tool_calls_rolled_up_to_conversations') }}

),

conversations as (

    select * from {{ ref('fct_conversations') }}
    {% if is_incremental() -%}
    -- Every row counts conversations of its own day, so an incremental run
    -- reads only the days it rebuilds.
    where {{ conversation_analytics.periods_to_rebuild('started_date', 'touched_started_dates') }}
    {%- endif %}

),

tool_days as (

    -- Calls count on the day their conversation started, like every other
    -- daily mart, so days add up across marts.
    select
        conversations.started_date,
        calls_per_conversation.tool_name,
        cast(sum(calls_per_conversation.call_count) as {{ dbt.type_bigint() }}) as total_calls,
        cast(sum(calls_per_conversation.error_count) as {{ dbt.type_bigint() }}) as error_calls,
        count(*) as conversations_using_tool,
        count(case when conversations.was_completed then 1 end)
            as completed_conversations_using_tool
    from calls_per_conversation
    inner join conversations
        on calls_per_conversation.conversation_id = conversations.conversation_id
    group by conversations.started_date, calls_per_conversation.tool_name

),

rates_computed as (

    select
        started_date,
        tool_name,
        total_calls,
        error_calls,
        conversations_using_tool,
        completed_conversations_using_tool,
        {{ conversation_analytics.round_half_away(
            conversation_analytics.percentage('error_calls', 'total_calls'), 1
        ) }} as error_rate,
        {{ conversation_analytics.wilson_interval_columns(
            'error_rate', 'error_calls', 'total_calls'
        ) }},
        {{ conversation_analytics.round_half_away(
            conversation_analytics.percentage(
                'completed_conversations_using_tool', 'conversations_using_tool'
            ), 1
        ) }} as completion_rate,
        {{ conversation_analytics.wilson_interval_columns(
            'completion_rate', 'completed_conversations_using_tool', 'conversations_using_tool'
        ) }},
        {{ conversation_analytics.staged_watermark() }} as staged_batch
    from tool_days

)

select * from rates_computed
-- Incremental: a run rebuilds the days on which a changed conversation has
-- events. Every column comes from the conversations' events, so the as-of
-- time alone changes no day.
{{ conversation_analytics.incremental_by_touched_periods('started_date', 'touched_started_dates') }}
