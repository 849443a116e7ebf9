with

events as (

    -- Incremental runs take every event of the conversations changed since
    -- the last run, so each is computed again from all its events.
    select * from {{ ref('stg_conversation_events') }}
    {{ conversation_analytics.incremental_by_changed_conversations(indexes=[
        {'columns': ['conversation_id'], 'unique': true},
        {'columns': ['staged_batch']},
    ]) }}

),

events_aggregated as (

    -- The user and the metadata keys carried to the conversation
    -- (macros/metadata/metadata_keys.sql) come from the earliest event that
    -- carries them, the abandon turn from the earliest abandoned event
    -- (ties by event_id).
    {%- set earliest = conversation_analytics.earliest_value %}
    select
        conversation_id,
        {{ earliest('user_id', 'user_id is not null') }} as user_id,
        {%- for key in conversation_analytics.metadata_keys_to_conversation() %}
        {{ earliest(key.name, key.name ~ ' is not null') }} as {{ key.name }},
        {%- endfor %}
        {{ earliest('abandoned_at_turn', "event_type = 'abandoned'") }}
            as first_abandoned_at_turn,
        count(case when event_type = 'user_message' then 1 end) as user_turns,
        count(case when event_type = 'agent_response' then 1 end) as agent_responses,
        count(case when event_type = 'tool_called' then 1 end) as tool_calls,
        count(
            case when event_type = 'feedback_received' and rating = 'positive' then 1 end
        ) as positive_feedback_count,
        count(
            case when event_type = 'feedback_received' and rating = 'negative' then 1 end
        ) as negative_feedback_count,
        count(
            case
                when
                    event_type = 'feedback_received'
                    and (rating is null or rating not in ('positive', 'negative'))
                    then 1
            end
        ) as unrecognised_feedback_count,
        count(case when is_rephrase then 1 end) as rephrase_count,
        count(case when has_invalid_metadata then 1 end) as invalid_metadata_event_count,
        count(*) as event_count,
        {{ dbt.bool_or("event_type = 'completed'") }} as was_completed,
        {{ dbt.bool_or("event_type = 'abandoned'") }} as was_abandoned,
        {{ dbt.bool_or("event_type = 'handoff_requested'") }} as had_handoff,
        {{ dbt.bool_or("event_type = 'started'") }} as has_started_event,
        min(case when event_type = 'started' then event_at end) as first_started_at,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        max(case when event_type = 'completed' then event_at end) as completed_at
    from events
    group by conversation_id

),

rolled_up as (

    select
        conversation_id,
        user_id,
        {%- for key in conversation_analytics.metadata_keys_to_conversation() %}
        {%- if key.read_as == 'text' %}
        coalesce({{ key.name }}, 'unknown') as {{ key.name }},
        {%- else %}
        {{ key.name }},
        {%- endif %}
        {%- endfor %}
        user_turns,
        agent_responses,
        tool_calls,
        case
            when was_abandoned then coalesce(first_abandoned_at_turn, user_turns)
        end as abandoned_at_turn,
        positive_feedback_count,
        negative_feedback_count,
        unrecognised_feedback_count,
        rephrase_count,
        invalid_metadata_event_count,
        event_count,
        was_completed,
        was_abandoned,
        had_handoff,
        has_started_event,
        coalesce(first_started_at, first_event_at) as started_at,
        last_event_at,
        completed_at,
        -- Every conversation computed in this run carries this run's
        -- batch, the watermark the marts resume from.
        {{ conversation_analytics.current_staged_batch() }} as staged_batch
    from events_aggregated

)

select * from rolled_up
