{{ config(
    materialized='incremental',
    unique_key='conversation_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    indexes=[
        {'columns': ['conversation_id'], 'unique': true},
        {'columns': ['staged_at']},
    ] if target.type == 'postgres' else [],
) }}

with

events as (

    select * from {{ ref('stg_conversation_events') }}
    {% if is_incremental() -%}
    -- Roll up again, from all their events, the conversations that received
    -- an event since the last run.
    where conversation_id in ({{ conversation_analytics.changed_conversations() }})
    {%- endif %}

),

users_ranked as (

    select
        conversation_id,
        user_id,
        row_number() over (
            partition by conversation_id order by event_at, event_id
        ) as user_rank
    from events
    where user_id is not null

),

agents_ranked as (

    select
        conversation_id,
        agent_id,
        row_number() over (
            partition by conversation_id order by event_at, event_id
        ) as agent_rank
    from events
    where agent_id is not null

),

channels_ranked as (

    select
        conversation_id,
        channel,
        row_number() over (
            partition by conversation_id order by event_at, event_id
        ) as channel_rank
    from events
    where channel is not null

),

abandons_ranked as (

    select
        conversation_id,
        abandoned_at_turn,
        row_number() over (
            partition by conversation_id order by event_at, event_id
        ) as abandon_rank
    from events
    where event_type = 'abandoned'

),

events_aggregated as (

    select
        conversation_id,
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
        max(case when event_type = 'completed' then event_at end) as completed_at,
        max(staged_at) as staged_at
    from events
    group by conversation_id

),

rolled_up as (

    select
        events_aggregated.conversation_id,
        users_ranked.user_id,
        coalesce(agents_ranked.agent_id, 'unknown') as agent_id,
        coalesce(channels_ranked.channel, 'unknown') as channel,
        events_aggregated.user_turns,
        events_aggregated.agent_responses,
        events_aggregated.tool_calls,
        case
            when events_aggregated.was_abandoned
                then coalesce(abandons_ranked.abandoned_at_turn, events_aggregated.user_turns)
        end as abandoned_at_turn,
        events_aggregated.positive_feedback_count,
        events_aggregated.negative_feedback_count,
        events_aggregated.unrecognised_feedback_count,
        events_aggregated.rephrase_count,
        events_aggregated.invalid_metadata_event_count,
        events_aggregated.event_count,
        events_aggregated.was_completed,
        events_aggregated.was_abandoned,
        events_aggregated.had_handoff,
        events_aggregated.has_started_event,
        coalesce(
            events_aggregated.first_started_at, events_aggregated.first_event_at
        ) as started_at,
        events_aggregated.last_event_at,
        events_aggregated.completed_at,
        events_aggregated.staged_at
    from events_aggregated
    left join users_ranked
        on
            events_aggregated.conversation_id = users_ranked.conversation_id
            and users_ranked.user_rank = 1
    left join agents_ranked
        on
            events_aggregated.conversation_id = agents_ranked.conversation_id
            and agents_ranked.agent_rank = 1
    left join channels_ranked
        on
            events_aggregated.conversation_id = channels_ranked.conversation_id
            and channels_ranked.channel_rank = 1
    left join abandons_ranked
        on
            events_aggregated.conversation_id = abandons_ranked.conversation_id
            and abandons_ranked.abandon_rank = 1

)

select * from rolled_up
