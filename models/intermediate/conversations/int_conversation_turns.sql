with

events as (

    select * from {{ ref('stg_conversation_events') }}
    where
        turn is not null
        and event_type in ('user_message', 'agent_response', 'tool_called', 'handoff_requested')

),

turns_aggregated as (

    -- Events carry their turn in metadata; a turn whose events came twice
    -- under different ids keeps the first message and response.
    select
        conversation_id,
        turn,
        min(case when event_type = 'user_message' then event_at end) as user_message_at,
        min(case when event_type = 'agent_response' then event_at end) as agent_response_at,
        max(case when event_type = 'user_message' then message_length end) as message_length,
        max(
            case when event_type = 'user_message' then similarity_to_previous end
        ) as similarity_to_previous,
        max(case when event_type = 'agent_response' then response_length end)
            as response_length,
        max(case when event_type = 'agent_response' then model end) as model,
        max(case when event_type = 'agent_response' then latency_ms end) as latency_ms,
        sum(case when event_type = 'agent_response' then input_tokens end) as input_tokens,
        sum(case when event_type = 'agent_response' then output_tokens end) as output_tokens,
        count(case when event_type = 'user_message' then 1 end) as user_messages,
        count(case when event_type = 'tool_called' then 1 end) as tool_calls,
        count(case when event_type = 'tool_called' and status = 'error' then 1 end)
            as tool_errors,
        {{ dbt.bool_or('is_rephrase') }} as is_rephrase,
        {{ dbt.bool_or("event_type = 'handoff_requested'") }} as had_handoff
    from events
    group by conversation_id, turn

)

select * from turns_aggregated
