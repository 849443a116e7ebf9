{#- A Langfuse export as conversation events: the columns of
    base_conversation_events, one row per event the traces, observations
    and scores give and one per raw row the mapping rejects
    (docs/langfuse.md has the mapping). Event ids come from Langfuse's ids
    and the event's kind, so rows loaded twice give the same ids and
    staging deduplicates them. -#}
{{ config(materialized=conversation_analytics.mapping_materialization()) }}
{%- set raw_events = source('conversation_events', 'conversation_events') -%}
{%- set metadata_type = (
    conversation_analytics.source_column_types(raw_events).get('metadata') or ''
) | lower -%}
{%- set feedback_names = var('langfuse_feedback_score_names', ['user_feedback']) -%}
{%- set tool_span_names = var('langfuse_tool_span_names', []) -%}
{#- The names as SQL lists; an empty list matches nothing. -#}
{%- set feedback_sql = (
    "'" ~ feedback_names | join("', '") ~ "'" if feedback_names else 'null'
) -%}
{%- set tool_span_sql = (
    "'" ~ tool_span_names | join("', '") ~ "'" if tool_span_names else 'null'
) -%}
{%- set object = conversation_analytics.json_object_text -%}
{%- set earliest = conversation_analytics.earliest_value -%}
{%- set string = dbt.type_string() -%}

with

trace_rows as (

    select * from {{ ref('base_langfuse_traces') }}

),

observation_rows as (

    select * from {{ ref('base_langfuse_observations') }}

),

score_rows as (

    select * from {{ ref('base_langfuse_scores') }}

),

traces_deduplicated as (

    select * from trace_rows
    where rejection_reason is null and copy_rank = 1

),

observation_copies_ranked as (

    -- An observation delivered twice is one observation: its first copy
    -- to land is kept.
    select
        *,
        row_number() over (
            partition by observation_id
            order by loaded_at nulls last, started_at, ended_at, metadata_text
        ) as copy_rank
    from observation_rows
    where rejection_reason is null

),

observations_deduplicated as (

    select * from observation_copies_ranked
    where copy_rank = 1

),

score_copies_ranked as (

    select
        *,
        row_number() over (
            partition by score_id
            order by loaded_at nulls last, scored_at, metadata_text
        ) as copy_rank
    from score_rows
    where rejection_reason is null

),

scores_deduplicated as (

    select * from score_copies_ranked
    where copy_rank = 1

),

conversations_described as (

    -- What the conversation's traces tell first: its agent, channel, user.
    select
        conversation_id,
        {{ earliest('agent_id', 'agent_id is not null', 'started_at, trace_id') }}
            as agent_id,
        {{ earliest('channel', 'channel is not null', 'started_at, trace_id') }}
            as channel,
        {{ earliest('user_id', 'user_id is not null', 'started_at, trace_id') }}
            as user_id
    from traces_deduplicated
    group by conversation_id

),

turns_numbered as (

    -- Each trace with an input is one user turn, numbered in time order.
    select
        trace_id,
        dense_rank() over (
            partition by conversation_id
            order by started_at, trace_id
        ) as turn
    from traces_deduplicated
    where has_input

),

generations_ranked as (

    select
        *,
        row_number() over (
            partition by trace_id
            order by started_at desc, ended_at desc, observation_id asc
        ) as rank_from_last
    from observations_deduplicated
    where observation_type = 'GENERATION'

),

generations_summed_by_trace as (

    -- A trace's generations are its one response: their tokens summed,
    -- from the first's start to the last's end, the last one's model.
    select
        trace_id,
        count(*) as generation_count,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        min(started_at) as first_started_at,
        max(coalesce(ended_at, started_at)) as last_ended_at,
        max(case when rank_from_last = 1 then model end) as model,
        max(placed_loaded_at) as loaded_at
    from generations_ranked
    group by trace_id

),

observations_summed_by_trace as (

    -- Where a trace ends: its last observation's end.
    select
        trace_id,
        max(coalesce(ended_at, started_at)) as last_ended_at,
        max(placed_loaded_at) as loaded_at
    from observations_deduplicated
    group by trace_id

),

traces_in_context as (

    select
        traces_deduplicated.*,
        conversations_described.agent_id as conversation_agent_id,
        conversations_described.channel as conversation_channel,
        coalesce(traces_deduplicated.user_id, conversations_described.user_id)
            as event_user_id,
        turns_numbered.turn,
        generations.generation_count,
        generations.model,
        generations.input_tokens,
        generations.output_tokens,
        case
            when generations.last_ended_at >= generations.first_started_at
                then {{ conversation_analytics.seconds_between(
                    'generations.first_started_at', 'generations.last_ended_at'
                ) }} * 1000
        end as latency_ms,
        generations.last_ended_at as responded_at,
        generations.loaded_at as responses_loaded_at,
        case
            when observations.last_ended_at > traces_deduplicated.started_at
                then observations.last_ended_at
            else traces_deduplicated.started_at
        end as ended_at,
        case
            when observations.loaded_at > traces_deduplicated.loaded_at
                then observations.loaded_at
            else traces_deduplicated.loaded_at
        end as trace_loaded_at
    from traces_deduplicated
    inner join conversations_described
        on traces_deduplicated.conversation_id = conversations_described.conversation_id
    left join turns_numbered
        on traces_deduplicated.trace_id = turns_numbered.trace_id
    left join generations_summed_by_trace as generations
        on traces_deduplicated.trace_id = generations.trace_id
    left join observations_summed_by_trace as observations
        on traces_deduplicated.trace_id = observations.trace_id

),

traces_ranked_within_conversation as (

    select
        *,
        row_number() over (
            partition by conversation_id
            order by started_at, trace_id
        ) as trace_rank
    from traces_in_context

),

started_events as (

    -- A conversation starts at its first trace; one id per conversation,
    -- so an earlier trace loaded later replaces it.
    select
        {{ dbt.hash("'langfuse:started:' || conversation_id") }} as event_id,
        conversation_id,
        event_user_id as user_id,
        'started' as event_type,
        {{ object([
            ['agent_id', 'conversation_agent_id'],
            ['channel', 'conversation_channel'],
        ]) }} as metadata_text,
        started_at as event_at,
        loaded_at
    from traces_ranked_within_conversation
    where trace_rank = 1

),

user_message_events as (

    select
        {{ dbt.hash("'langfuse:' || trace_id || ':user_message'") }} as event_id,
        conversation_id,
        event_user_id as user_id,
        'user_message' as event_type,
        {{ object([
            ['turn', 'turn'],
            ['agent_id', 'conversation_agent_id'],
            ['channel', 'conversation_channel'],
        ]) }} as metadata_text,
        started_at as event_at,
        loaded_at
    from traces_in_context
    where has_input

),

agent_response_events as (

    select
        {{ dbt.hash("'langfuse:' || trace_id || ':agent_response'") }} as event_id,
        conversation_id,
        event_user_id as user_id,
        'agent_response' as event_type,
        {{ object([
            ['turn', 'turn'],
            ['model', 'model'],
            ['latency_ms', 'latency_ms'],
            ['input_tokens', 'input_tokens'],
            ['output_tokens', 'output_tokens'],
            ['agent_id', 'conversation_agent_id'],
            ['channel', 'conversation_channel'],
        ]) }} as metadata_text,
        responded_at as event_at,
        responses_loaded_at as loaded_at
    from traces_in_context
    where generation_count > 0

),

tool_called_events as (

    -- TOOL observations, and SPAN observations var('langfuse_tool_span_names')
    -- names; level ERROR is a failed call.
    select
        {{ dbt.hash(
            "'langfuse:' || observations_deduplicated.observation_id || ':tool_called'"
        ) }} as event_id,
        traces_in_context.conversation_id,
        traces_in_context.event_user_id as user_id,
        'tool_called' as event_type,
        {{ object([
            ['tool_name', 'observations_deduplicated.observation_name'],
            ['turn', 'traces_in_context.turn'],
            ['status', "case when observations_deduplicated.is_error then 'error' else 'ok' end"],
            ['agent_id', 'traces_in_context.conversation_agent_id'],
            ['channel', 'traces_in_context.conversation_channel'],
        ]) }} as metadata_text,
        observations_deduplicated.started_at as event_at,
        observations_deduplicated.placed_loaded_at as loaded_at
    from observations_deduplicated
    inner join traces_in_context
        on observations_deduplicated.trace_id = traces_in_context.trace_id
    where
        observations_deduplicated.observation_type = 'TOOL'
        or (
            observations_deduplicated.observation_type = 'SPAN'
            and observations_deduplicated.observation_name in ({{ tool_span_sql }})
        )

),

scores_rated as (

    -- Scores named in var('langfuse_feedback_score_names'): a numeric or
    -- boolean value above 0 is positive, 0 or below negative; a
    -- categorical one's label is the rating.
    select
        *,
        case
            when data_type in ('NUMERIC', 'BOOLEAN') and numeric_value > 0 then 'positive'
            when data_type in ('NUMERIC', 'BOOLEAN') and numeric_value <= 0 then 'negative'
            else string_value
        end as rating
    from scores_deduplicated
    where score_name in ({{ feedback_sql }})

),

feedback_events as (

    select
        {{ dbt.hash("'langfuse:' || scores_rated.score_id || ':feedback'") }} as event_id,
        scores_rated.conversation_id,
        conversations_described.user_id,
        'feedback_received' as event_type,
        {{ object([
            ['rating', 'scores_rated.rating'],
            ['score_name', 'scores_rated.score_name'],
            ['comment', 'scores_rated.score_comment'],
            ['turn', 'traces_in_context.turn'],
            ['agent_id', 'conversations_described.agent_id'],
            ['channel', 'conversations_described.channel'],
        ]) }} as metadata_text,
        scores_rated.scored_at as event_at,
        scores_rated.placed_loaded_at as loaded_at
    from scores_rated
    left join conversations_described
        on scores_rated.conversation_id = conversations_described.conversation_id
    left join traces_in_context
        on scores_rated.trace_id = traces_in_context.trace_id

),

outcome_events as (

    -- The trace's outcome metadata ends the conversation when the trace
    -- does (completed, abandoned, handoff_requested; any other value is
    -- quarantined as an unknown event type).
    select
        {{ dbt.hash("'langfuse:' || trace_id || ':outcome'") }} as event_id,
        conversation_id,
        event_user_id as user_id,
        outcome as event_type,
        {{ object([
            ['reason', 'outcome_reason'],
            ['turn', 'turn'],
            ['agent_id', 'conversation_agent_id'],
            ['channel', 'conversation_channel'],
        ]) }} as metadata_text,
        ended_at as event_at,
        trace_loaded_at as loaded_at
    from traces_in_context
    where outcome is not null

),

events_unioned as (

    select * from started_events
    union all
    select * from user_message_events
    union all
    select * from agent_response_events
    union all
    select * from tool_called_events
    union all
    select * from feedback_events
    union all
    select * from outcome_events

),

events_validated as (

    select
        event_id,
        conversation_id,
        user_id,
        event_type,
        cast(event_type as {{ string }}) as raw_event_type,
        metadata_text,
        event_at,
        loaded_at,
        {{ conversation_analytics.event_rejection_reason(
            'coalesce(loaded_at, '
            ~ conversation_analytics.zoned_timestamp_to_utc(dbt.current_timestamp()) ~ ')'
        ) }} as rejection_reason
    from events_unioned

),

rows_rejected as (

    -- One row per raw trace, observation or score the mapping cannot
    -- place, with what it held.
    select
        trace_id as event_id,
        conversation_id,
        user_id,
        cast(null as {{ string }}) as event_type,
        cast('trace' as {{ string }}) as raw_event_type,
        metadata_text,
        started_at as event_at,
        loaded_at,
        rejection_reason
    from trace_rows
    where rejection_reason is not null
    union all
    select
        observation_id as event_id,
        conversation_id,
        cast(null as {{ string }}) as user_id,
        cast(null as {{ string }}) as event_type,
        observation_type as raw_event_type,
        metadata_text,
        started_at as event_at,
        loaded_at,
        rejection_reason
    from observation_rows
    where rejection_reason is not null
    union all
    select
        score_id as event_id,
        conversation_id,
        cast(null as {{ string }}) as user_id,
        cast(null as {{ string }}) as event_type,
        score_name as raw_event_type,
        metadata_text,
        scored_at as event_at,
        loaded_at,
        rejection_reason
    from score_rows
    where rejection_reason is not null

),

rows_unioned as (

    select * from events_validated
    union all
    select * from rows_rejected

),

metadata_parsed as (

    -- The metadata as the event table's base model types it, so the two
    -- union in staging.
    select
        event_id,
        conversation_id,
        user_id,
        event_type,
        raw_event_type,
        metadata_text,
        {{ conversation_analytics.json_column(
            conversation_analytics.metadata_text_as_json('metadata_text', metadata_type)
        ) }} as metadata_json,
        event_at,
        loaded_at,
        rejection_reason
    from rows_unioned

)

select * from metadata_parsed
