{#- The quarantine of every source staging unions (staged_event_sources):
    raw events, and with var otel_spans_enabled the spans the mapping
    cannot place and the span events that break the contract. -#}
{%- set bases = conversation_analytics.staged_event_sources() -%}

with

rejected_events as (

    {%- for base in bases %}
    {{ 'union all' if not loop.first }}
    select
        event_id,
        conversation_id,
        user_id,
        raw_event_type,
        rejection_reason,
        metadata_text,
        event_at,
        loaded_at
    from {{ base }}
    where rejection_reason is not null
    {%- endfor %}

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
