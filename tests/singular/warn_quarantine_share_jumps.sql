{{ config(severity='warn') }}

-- Data quality (warn): days on which the quarantine's share of the raw rows
-- rises above var('quarantine_warn_share') (default 0.05). A day is the
-- day a row landed (the raw table's ingestion time, loaded_at) or, without
-- that column, the day of its event time; rows with neither fall on a null
-- day. A spike usually means a writer broke (README, "Running on a
-- schedule"): look at conversation_events_rejected's rejection_reason.
-- With var('otel_spans_enabled'), raw spans count as raw rows.

{%- set warn_share = var('quarantine_warn_share', 0.05) | float %}

with

raw_rows as (

    select
        cast(coalesce(loaded_at, event_at) as date) as raw_date,
        rejection_reason
    from {{ ref('base_conversation_events') }}
    {%- if var('otel_spans_enabled', false) | string | lower == 'true' %}
    -- The raw spans too, each a raw row (docs/opentelemetry.md).
    union all
    select
        cast(coalesce(loaded_at, started_at) as date) as raw_date,
        rejection_reason
    from {{ ref('base_otel_spans') }}
    {%- endif %}

),

daily as (

    select
        raw_date,
        count(*) as raw_rows,
        count(rejection_reason) as quarantined_rows
    from raw_rows
    group by raw_date

)

select
    raw_date,
    raw_rows,
    quarantined_rows,
    cast(quarantined_rows as {{ conversation_analytics.type_double() }})
    / raw_rows as quarantined_share
from daily
where
    cast(quarantined_rows as {{ conversation_analytics.type_double() }})
    > {{ warn_share }} * raw_rows
