with

rejected_events as (

    select
        event_id,
        conversation_id,
        user_id,
        raw_event_type,
        rejection_reason,
        metadata_text,
        event_at,
        loaded_at
    from {{ ref('base_conversation_events') }}
    where rejection_reason is not null
    {%- if var('otel_spans_enabled', false) | string | lower == 'true' %}
    -- Spans the mapping cannot place, and span events that break the
    -- contract (docs/opentelemetry.md).
    union all
    select
        event_id,
        conversation_id,
        user_id,
        raw_event_type,
        rejection_reason,
        metadata_text,
        event_at,
        loaded_at
    from {{ ref('base_otel_conversation_events') }}
    where rejection_reason is not null
    {%- endif %}

),

quarantined as (

    -- One row per rejected raw row, with what it held, so it can be fixed
    -- upstream and replayed.
    select
        event_id,
        conversation_id,
        user_id,
        raw_event_type,
        rejection_reason,
        metadata_text,
        event_at,
        loaded_at
    from rejected_events

)

select * from quarantined
