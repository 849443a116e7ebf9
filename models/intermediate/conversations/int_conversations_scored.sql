with

conversations as (

    select * from {{ ref('int_events_rolled_up_to_conversations') }}

),

as_of as (

    select
        {{ conversation_analytics.as_of_timestamp(ref('int_events_rolled_up_to_conversations')) }}
            as as_of_at

),

outcomes_scored as (

    select
        conversations.conversation_id,
        {{ conversation_analytics.pseudonymized_user_id('conversations.user_id') }} as user_id,
        {%- for key in conversation_analytics.metadata_keys_to_conversation() %}
        conversations.{{ key.name }},
        {%- endfor %}
        {{ conversation_analytics.conversation_outcome(
            'conversations.was_completed',
            'conversations.was_abandoned',
            'conversations.last_event_at',
            'as_of.as_of_at'
        ) }} as outcome,
        conversations.user_turns,
        conversations.agent_responses,
        conversations.tool_calls,
        conversations.abandoned_at_turn,
        case
            when conversations.was_completed
                then {{ conversation_analytics.seconds_between(
                    'conversations.started_at', 'conversations.completed_at'
                ) }}
        end as duration_seconds,
        conversations.positive_feedback_count,
        conversations.negative_feedback_count,
        conversations.unrecognised_feedback_count,
        conversations.rephrase_count,
        {{ conversation_analytics.satisfaction_score(
            'conversations.positive_feedback_count',
            'conversations.negative_feedback_count',
            'conversations.was_completed',
            'conversations.had_handoff',
            'conversations.user_turns'
        ) }} as satisfaction_score,
        {{ conversation_analytics.satisfaction_implicit_rule(
            'conversations.was_completed',
            'conversations.had_handoff',
            'conversations.user_turns'
        ) }} as implicit_satisfaction_rule,
        {{ conversation_analytics.satisfaction_signal(
            'conversations.positive_feedback_count',
            'conversations.negative_feedback_count',
            conversation_analytics.satisfaction_implicit_rule(
                'conversations.was_completed',
                'conversations.had_handoff',
                'conversations.user_turns'
            )
        ) }} as satisfaction_signal,
        conversations.event_count,
        conversations.invalid_metadata_event_count,
        conversations.was_completed,
        conversations.was_abandoned,
        conversations.had_handoff,
        conversations.has_started_event,
        cast(conversations.started_at as date) as started_date,
        conversations.started_at,
        conversations.last_event_at,
        conversations.completed_at,
        conversations.staged_batch
    from conversations
    cross join as_of

)

select * from outcomes_scored
