with

responses_per_conversation as (

    select * from {{ ref('int_agent_responses_rolled_up_to_conversation_models') }}

),

conversations as (

    select * from {{ ref('fct_conversations') }}
    {% if is_incremental() -%}
    -- Every row counts conversations of its own week, so an incremental run
    -- reads only the weeks it rebuilds.
    where {{ conversation_analytics.periods_to_rebuild(
        'week_start', 'touched_weeks',
        compared=conversation_analytics.week_start('started_at')
    ) }}
    {%- endif %}

),

model_weeks as (

    -- A conversation counts once for each model that answered in it, in the
    -- week it started.
    select
        {{ conversation_analytics.week_start('conversations.started_at') }} as week_start,
        responses_per_conversation.model,
        count(*) as total_conversations,
        count(case when conversations.was_completed then 1 end) as completed_conversations,
        {{ conversation_analytics.exact_sum('conversations.satisfaction_score') }}
            as sum_satisfaction_score,
        cast(sum(responses_per_conversation.response_count) as {{ dbt.type_bigint() }})
            as agent_responses,
        cast(sum(responses_per_conversation.timed_response_count) as {{ dbt.type_bigint() }})
            as timed_responses,
        coalesce(
            {{ conversation_analytics.exact_sum('responses_per_conversation.latency_ms_total') }},
            0
        ) as sum_latency_ms,
        cast(coalesce(sum(responses_per_conversation.input_tokens), 0) as {{ dbt.type_bigint() }})
            as input_tokens,
        cast(coalesce(sum(responses_per_conversation.output_tokens), 0) as {{ dbt.type_bigint() }})
            as output_tokens
    from responses_per_conversation
    inner join conversations
        on responses_per_conversation.conversation_id = conversations.conversation_id
    group by
        {{ conversation_analytics.week_start('conversations.started_at') }},
        responses_per_conversation.model

),

rates_computed as (

    select
        week_start,
        model,
        total_conversations,
        completed_conversations,
        agent_responses,
        input_tokens,
        output_tokens,
        sum_satisfaction_score,
        timed_responses,
        sum_latency_ms,
        {{ conversation_analytics.round_half_away(
            conversation_analytics.percentage('completed_conversations', 'total_conversations'),
            1
        ) }} as completion_rate,
        {{ conversation_analytics.wilson_interval_columns(
            'completion_rate', 'completed_conversations', 'total_conversations'
        ) }},
        {{ conversation_analytics.round_half_away(
            'sum_satisfaction_score / total_conversations', 3
        ) }} as avg_satisfaction_score,
        {{ conversation_analytics.round_half_away(
            'sum_latency_ms / nullif(timed_responses, 0)', 1
        ) }} as avg_latency_ms,
        {{ conversation_analytics.staged_watermark() }} as staged_batch
    from model_weeks

)

select * from rates_computed
-- Incremental: a run rebuilds the weeks in which a changed conversation has
-- events (and the week after each, which touched_weeks adds for the weekly
-- comparisons of other marts). Every column comes from the conversations'
-- events, so the as-of time alone changes no week.
{{ conversation_analytics.incremental_by_touched_periods('week_start', 'touched_weeks') }}
