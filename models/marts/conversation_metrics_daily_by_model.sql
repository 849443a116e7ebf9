with

conversations as (

    select * from {{ ref('fct_conversations') }}
    {% if is_incremental() -%}
    -- Every row counts conversations of its own day, so an incremental run
    -- reads only the days it rebuilds: the touched days and the days that
    -- were provisional (the filter at the end keeps the same days).
    where {{ conversation_analytics.periods_to_rebuild(
        'started_date', 'touched_started_dates', open_condition='open_periods.is_provisional'
    ) }}
    {%- endif %}

),

models_per_conversation as (

    select * from {{ ref('int_agent_responses_rolled_up_to_conversation_models') }}

),

conversations_joined_to_models as (

    -- One row per conversation and model that answered in it: a conversation
    -- counts once for each such model, as in conversation_summary_by_model.
    select
        conversations.*,
        models_per_conversation.model
    from conversations
    inner join models_per_conversation
        on conversations.conversation_id = models_per_conversation.conversation_id

),

daily_model_metrics as (

    select
        started_date,
        agent_id,
        channel,
        model,
        {{ conversation_analytics.conversation_rate_aggregates() }},
        -- Provisional: a conversation of the row is still in progress.
        count(case when outcome = 'in_progress' then 1 end) > 0 as is_provisional
    from conversations_joined_to_models
    group by started_date, agent_id, channel, model

),

columns_kept as (

    -- The additive columns the dashboard re-aggregates, the rates of the row
    -- itself, and the quantile its intervals use, for the intervals of the
    -- slices the dashboard sums.
    select
        started_date,
        agent_id,
        channel,
        model,
        total_conversations,
        completed_conversations,
        abandoned_conversations,
        handoff_conversations,
        ended_abandoned_conversations,
        ended_handed_off_conversations,
        timed_out_conversations,
        in_progress_conversations,
        sum_user_turns,
        sum_satisfaction_score,
        sum_rephrase_count,
        completion_rate,
        completion_rate_ci_low,
        completion_rate_ci_high,
        abandonment_rate,
        abandonment_rate_ci_low,
        abandonment_rate_ci_high,
        handoff_rate,
        handoff_rate_ci_low,
        handoff_rate_ci_high,
        cast(
            {{ conversation_analytics.confidence_z() }}
            as {{ conversation_analytics.type_double() }}
        ) as confidence_z,
        is_provisional,
        {{ conversation_analytics.staged_watermark() }} as staged_batch
    from daily_model_metrics

)

select * from columns_kept
-- Incremental: a run rebuilds the days on which a changed conversation has
-- events, and the days that were provisional, whose open conversations may
-- have timed out since.
{{ conversation_analytics.incremental_by_touched_periods(
    'started_date', 'touched_started_dates', open_condition='open_periods.is_provisional'
) }}
