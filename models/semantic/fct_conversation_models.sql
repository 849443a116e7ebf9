-- depends_on: {{ ref('stg_conversation_events') }}
-- (read on an incremental run: the conversations changed since the last one)

with

responses_per_conversation as (

    -- Incremental runs take the conversations changed since the last run;
    -- a pre-hook first deletes their rows, so a conversation that lost a
    -- model, or every event, keeps no stale row. Every column comes from
    -- the conversation's events, so the as-of time alone changes no row.
    select * from {{ ref('int_agent_responses_rolled_up_to_conversation_models') }}
    {{ conversation_analytics.incremental_by_changed_conversations() }}

),

conversations as (

    select * from {{ ref('fct_conversations') }}

),

conversations_joined as (

    -- A conversation counts once for each model that answered in it, as in
    -- the model_performance mart.
    select
        responses_per_conversation.conversation_id
        || '|' || responses_per_conversation.model as conversation_model_id,
        responses_per_conversation.conversation_id,
        responses_per_conversation.model,
        responses_per_conversation.response_count as agent_responses,
        responses_per_conversation.input_tokens,
        responses_per_conversation.output_tokens,
        conversations.satisfaction_score,
        conversations.was_completed,
        conversations.started_at,
        {{ conversation_analytics.current_staged_batch() }} as staged_batch
    from responses_per_conversation
    inner join conversations
        on responses_per_conversation.conversation_id = conversations.conversation_id

)

select * from conversations_joined
