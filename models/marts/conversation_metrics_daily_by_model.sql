with

conversations as (

    select * from {{ ref('fct_conversations') }}

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
        {{ conversation_analytics.conversation_rate_aggregates() }}
    from conversations_joined_to_models
    group by started_date, agent_id, channel, model

),

columns_kept as (

    -- The additive columns the dashboard re-aggregates, and the rates of the
    -- row itself.
    select
        started_date,
        agent_id,
        channel,
        model,
        total_conversations,
        completed_conversations,
        abandoned_conversations,
        handoff_conversations,
        sum_user_turns,
        sum_satisfaction_score,
        sum_rephrase_count,
        completion_rate,
        abandonment_rate,
        handoff_rate
    from daily_model_metrics

)

select * from columns_kept
