with

responses_per_conversation as (

    select * from {{ ref('int_agent_responses_rolled_up_to_conversation_models') }}

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
        conversations.started_at
    from responses_per_conversation
    inner join conversations
        on responses_per_conversation.conversation_id = conversations.conversation_id

)

select * from conversations_joined
