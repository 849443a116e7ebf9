with

events as (

    -- Incremental runs take every event of the conversations changed since
    -- the last run, so each is rolled up again from all its events.
    select * from {{ ref('stg_conversation_events') }}
    {{ conversation_analytics.incremental_by_changed_conversations(indexes=[
        {'columns': ['conversation_id']},
    ]) }}

),

responses as (

    select
        conversation_id,
        coalesce(model, 'unknown') as model,
        latency_ms,
        input_tokens,
        output_tokens
    from events
    where event_type = 'agent_response'

),

responses_rolled_up as (

    select
        conversation_id,
        model,
        count(*) as response_count,
        count(latency_ms) as timed_response_count,
        {{ conversation_analytics.exact_sum('latency_ms') }} as latency_ms_total,
        cast(coalesce(sum(input_tokens), 0) as {{ dbt.type_bigint() }}) as input_tokens,
        cast(coalesce(sum(output_tokens), 0) as {{ dbt.type_bigint() }}) as output_tokens,
        {{ conversation_analytics.current_staged_batch() }} as staged_batch
    from responses
    group by conversation_id, model

)

select * from responses_rolled_up
