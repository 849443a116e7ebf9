{#- OpenTelemetry GenAI spans as conversation events: the columns of
    base_conversation_events, one row per event a span gives and one per
    span the mapping rejects (docs/opentelemetry.md has the mapping).
    Event ids come from the span's trace and span ids and the event's kind,
    so spans loaded twice give the same ids and staging deduplicates them. -#}
{{ config(materialized=conversation_analytics.mapping_materialization()) }}
{%- set raw_events = source('conversation_events', 'conversation_events') -%}
{%- set metadata_type = (
    conversation_analytics.source_column_types(raw_events).get('metadata') or ''
) | lower -%}
{%- set outcome_event = var('otel_outcome_event', 'conversation.outcome') -%}
{%- set outcome_attribute = var('otel_outcome_attribute', 'outcome') -%}
{%- set event_keys = [
    'gen_ai.evaluation.name',
    'gen_ai.evaluation.score.label',
    outcome_attribute,
    'reason',
] | unique | list -%}
{%- set model_calls = ['chat', 'text_completion', 'generate_content'] -%}
{%- set text = conversation_analytics.clean_text -%}
{%- set value = conversation_analytics.json_typed_value -%}
{%- set object = conversation_analytics.json_object_text -%}
{%- set string = dbt.type_string() -%}
{%- set outcome = text(value('span_event_fields', event_keys, outcome_attribute, 'string')) -%}

with

spans as (

    select * from {{ ref('base_otel_spans') }}

),

span_copies_ranked as (

    -- A span delivered twice is one span: its first copy to land is kept.
    select
        *,
        row_number() over (
            partition by trace_id, span_id
            order by loaded_at nulls last, started_at, ended_at, span_name, status_code
        ) as copy_rank
    from spans
    where rejection_reason is null

),

spans_deduplicated as (

    select * from span_copies_ranked
    where copy_rank = 1

),

conversations_described as (

    -- What the conversation's spans tell first: its agent, channel, user.
    select distinct
        conversation_id,
        first_value(agent_id) over (
            partition by conversation_id
            order by case when agent_id is null then 1 else 0 end, started_at, span_id
            rows between unbounded preceding and unbounded following
        ) as agent_id,
        first_value(channel) over (
            partition by conversation_id
            order by case when channel is null then 1 else 0 end, started_at, span_id
            rows between unbounded preceding and unbounded following
        ) as channel,
        first_value(user_id) over (
            partition by conversation_id
            order by case when user_id is null then 1 else 0 end, started_at, span_id
            rows between unbounded preceding and unbounded following
        ) as user_id
    from spans_deduplicated

),

turns_numbered as (

    -- Each invoke_agent span is one turn, numbered in time order.
    select
        trace_id,
        span_id,
        dense_rank() over (
            partition by conversation_id
            order by started_at, trace_id, span_id
        ) as turn
    from spans_deduplicated
    where operation_name = 'invoke_agent'

),

model_calls_ranked_by_parent as (

    -- The model calls made directly inside a span, the last to start
    -- first: that call gave the answer (as a Langfuse trace's last
    -- generation does).
    select
        trace_id,
        parent_span_id,
        input_tokens,
        output_tokens,
        coalesce(response_model, request_model) as model,
        row_number() over (
            partition by trace_id, parent_span_id
            order by started_at desc nulls last, ended_at desc nulls last, span_id
        ) as recency_rank
    from spans_deduplicated
    where
        operation_name in (
            {%- for operation in model_calls %}
            '{{ operation }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )
        and parent_span_id is not null

),

model_calls_summed_by_parent as (

    -- Their tokens summed, and the model of the last one, for a turn span
    -- that does not carry its own.
    select
        trace_id,
        parent_span_id,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        max(case when recency_rank = 1 then model end) as model
    from model_calls_ranked_by_parent
    group by trace_id, parent_span_id

),

spans_in_context as (

    select
        spans_deduplicated.*,
        conversations_described.agent_id as conversation_agent_id,
        conversations_described.channel as conversation_channel,
        coalesce(spans_deduplicated.user_id, conversations_described.user_id)
            as event_user_id,
        coalesce(own_turn.turn, parent_turn.turn) as turn,
        -- The model that answered: the span's own, else its model calls',
        -- else the one it asked for.
        coalesce(
            spans_deduplicated.response_model,
            model_calls.model,
            spans_deduplicated.request_model
        ) as turn_model,
        coalesce(spans_deduplicated.input_tokens, model_calls.input_tokens)
            as turn_input_tokens,
        coalesce(spans_deduplicated.output_tokens, model_calls.output_tokens)
            as turn_output_tokens
    from spans_deduplicated
    inner join conversations_described
        on spans_deduplicated.conversation_id = conversations_described.conversation_id
    left join turns_numbered as own_turn
        on
            spans_deduplicated.trace_id = own_turn.trace_id
            and spans_deduplicated.span_id = own_turn.span_id
    left join turns_numbered as parent_turn
        on
            spans_deduplicated.trace_id = parent_turn.trace_id
            and spans_deduplicated.parent_span_id = parent_turn.span_id
    left join model_calls_summed_by_parent as model_calls
        on
            spans_deduplicated.trace_id = model_calls.trace_id
            and spans_deduplicated.span_id = model_calls.parent_span_id

),

spans_ranked_within_conversation as (

    select
        *,
        row_number() over (
            partition by conversation_id
            order by started_at, trace_id, span_id
        ) as span_rank
    from spans_in_context

),

started_events as (

    -- A conversation starts at its first span; one id per conversation, so
    -- an earlier span loaded later replaces it (the earliest copy wins).
    select
        {{ dbt.hash("'started:' || conversation_id") }} as event_id,
        conversation_id,
        event_user_id as user_id,
        'started' as event_type,
        {{ object([
            ['agent_id', 'conversation_agent_id'],
            ['channel', 'conversation_channel'],
        ]) }} as metadata_text,
        started_at as event_at,
        loaded_at
    from spans_ranked_within_conversation
    where span_rank = 1

),

user_message_events as (

    select
        {{ dbt.hash("trace_id || ':' || span_id || ':user_message'") }} as event_id,
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
    from spans_in_context
    where operation_name = 'invoke_agent'

),

agent_response_events as (

    -- A turn's response, and a root model call's (an agent that is a
    -- plain model chat). A model call inside another span is part of what
    -- that span does, not a response of its own; the rule reads the span
    -- alone, so spans arriving in any order give the same events.
    select
        {{ dbt.hash("trace_id || ':' || span_id || ':agent_response'") }} as event_id,
        conversation_id,
        event_user_id as user_id,
        'agent_response' as event_type,
        {{ object([
            ['turn', 'turn'],
            ['model', 'turn_model'],
            ['latency_ms', 'duration_ms'],
            ['input_tokens', 'turn_input_tokens'],
            ['output_tokens', 'turn_output_tokens'],
            ['agent_id', 'conversation_agent_id'],
            ['channel', 'conversation_channel'],
        ]) }} as metadata_text,
        coalesce(ended_at, started_at) as event_at,
        loaded_at
    from spans_in_context
    where
        operation_name = 'invoke_agent'
        or (
            operation_name in (
                {%- for operation in model_calls %}
                '{{ operation }}'{{ ',' if not loop.last }}
                {%- endfor %}
            )
            and parent_span_id is null
        )

),

tool_called_events as (

    select
        {{ dbt.hash("trace_id || ':' || span_id || ':tool_called'") }} as event_id,
        conversation_id,
        event_user_id as user_id,
        'tool_called' as event_type,
        {{ object([
            ['tool_name', 'tool_name'],
            ['turn', 'turn'],
            ['status', "case when is_error then 'error' else 'ok' end"],
            ['agent_id', 'conversation_agent_id'],
            ['channel', 'conversation_channel'],
        ]) }} as metadata_text,
        started_at as event_at,
        loaded_at
    from spans_in_context
    where operation_name = 'execute_tool'

),

span_events_unnested as (

    -- The span's own events: evaluations and the outcome. An event without
    -- a readable time takes the span's end (else its start).
    select
        spans_in_context.*,
        span_event.element_index as span_event_index,
        {{ text(conversation_analytics.json_get_text('span_event.element', 'name')) }}
            as span_event_name,
        coalesce(
            {{ conversation_analytics.text_timestamp_to_utc(
                conversation_analytics.json_get_text('span_event.element', 'time')
            ) }},
            spans_in_context.ended_at,
            spans_in_context.started_at
        ) as span_event_at,
        {{ conversation_analytics.json_fields(
            conversation_analytics.json_field(
                conversation_analytics.json_fields('span_event.element', ['attributes']),
                ['attributes'],
                'attributes',
            ),
            event_keys,
        ) }} as span_event_fields
    from spans_in_context
    {{ conversation_analytics.json_array_elements(
        conversation_analytics.json_column_value('spans_in_context.events_json'), 'span_event'
    ) }}

),

span_event_events as (

    -- gen_ai.evaluation.result is feedback (its score label the rating);
    -- the outcome event names the conversation's end (completed,
    -- abandoned, handoff_requested; any other value is quarantined as an
    -- unknown event type). Other span events give nothing.
    select
        {{ dbt.hash(
            "trace_id || ':' || span_id || ':event:' || cast(span_event_index as "
            ~ string ~ ") || ':' || span_event_name"
        ) }} as event_id,
        conversation_id,
        event_user_id as user_id,
        case
            when span_event_name = 'gen_ai.evaluation.result' then 'feedback_received'
            else lower({{ outcome }})
        end as event_type,
        {{ object([
            ['rating', text(value(
                'span_event_fields', event_keys, 'gen_ai.evaluation.score.label', 'string'
            ))],
            ['evaluation_name', text(value(
                'span_event_fields', event_keys, 'gen_ai.evaluation.name', 'string'
            ))],
            ['reason', text(value('span_event_fields', event_keys, 'reason', 'string'))],
            ['turn', 'turn'],
            ['agent_id', 'conversation_agent_id'],
            ['channel', 'conversation_channel'],
        ]) }} as metadata_text,
        span_event_at as event_at,
        loaded_at
    from span_events_unnested
    where span_event_name in ('gen_ai.evaluation.result', '{{ outcome_event }}')

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
    select * from span_event_events

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

spans_rejected as (

    -- One row per raw span the mapping cannot place, with what it held.
    select
        span_id as event_id,
        conversation_id,
        user_id,
        cast(null as {{ string }}) as event_type,
        operation_name as raw_event_type,
        attributes_text as metadata_text,
        started_at as event_at,
        loaded_at,
        rejection_reason
    from spans
    where rejection_reason is not null

),

rows_unioned as (

    select * from events_validated
    union all
    select * from spans_rejected

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
