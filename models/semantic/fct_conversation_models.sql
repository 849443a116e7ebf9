with

responses as (

    select
        conversation_id,
        coalesce(model, 'unknown') as model,
        input_tokens,
        output_tokens
    from {{ ref('stg_conversation_events') }}
    where event_type = 'agent_response'

),

conversations as (

    select * from {{ ref('fct_conversations') }}

),

responses_per_conversation as (

    select
        conversation_id,
        model,
        count(*) as agent_responses,
        cast(coalesce(sum(input_tokens), 0) as {{ dbt.type_bigint() }}) as input_tokens,
        cast(coalesce(sum(output_tokens), 0) as {{ dbt.type_bigint() }}) as output_tokens
    from responses
    group by conversation_id, model

),

conversations_joined as (

    -- A conversation counts once for each model that answered in it, as in
    -- the model_performance mart.
    select
        responses_per_conversation.conversation_id
        || '|' || responses_per_conversation.model as conversation_model_id,
        responses_per_conversation.conversation_id,
        responses_per_conversation.model,
        responses_per_conversation.agent_responses,
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
