with

windowed_conversations as (

    select * from {{ ref('int_conversations_in_summary_windows') }}

),

responses_per_conversation as (

    select * from {{ ref('int_agent_responses_rolled_up_to_conversation_models') }}

),

model_conversations as (

    -- One row per window, conversation and model that answered in it: a
    -- conversation counts once for each such model.
    select
        windowed_conversations.window_days,
        responses_per_conversation.model,
        responses_per_conversation.response_count,
        responses_per_conversation.timed_response_count,
        responses_per_conversation.latency_ms_total,
        responses_per_conversation.input_tokens,
        responses_per_conversation.output_tokens,
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
    inner join responses_per_conversation
        on windowed_conversations.conversation_id = responses_per_conversation.conversation_id

),

models_summed as (

    select
        window_days,
        model,
        cast(sum(response_count) as {{ dbt.type_bigint() }}) as agent_responses,
        cast(sum(timed_response_count) as {{ dbt.type_bigint() }}) as timed_responses,
        coalesce({{ conversation_analytics.exact_sum('latency_ms_total') }}, 0) as sum_latency_ms,
        cast(sum(input_tokens) as {{ dbt.type_bigint() }}) as input_tokens,
        cast(sum(output_tokens) as {{ dbt.type_bigint() }}) as output_tokens,
        {{ conversation_analytics.conversation_rate_aggregates() }}
    from model_conversations
    group by window_days, model

),

models_summarised as (

    -- The rate metrics of the conversations the model answered in, and
    -- the model's own latency and tokens.
    select
        *,
        {{ conversation_analytics.round_half_away(
            'cast(output_tokens as ' ~ conversation_analytics.type_double() ~ ')'
            ~ ' / nullif(agent_responses, 0)',
            1
        ) }} as output_tokens_per_response,
        {{ conversation_analytics.round_half_away(
            'sum_latency_ms / nullif(timed_responses, 0)', 1
        ) }} as avg_latency_ms
    from models_summed

)

select * from models_summarised
