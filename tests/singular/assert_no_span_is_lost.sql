-- Nothing is lost on the OpenTelemetry path (docs/opentelemetry.md): every
-- raw span is either placed by the mapping or quarantined with a span_*
-- reason, one quarantine row per rejected raw span. Returns a row (fails)
-- when the counts disagree. Runs only with var('otel_spans_enabled').

{{ config(enabled=var('otel_spans_enabled', false) | string | lower == 'true') }}

with

raw_spans as (

    select count(*) as row_count
    from {{ source('otel_spans', 'otel_spans') }}

),

spans_checked as (

    select
        count(case when rejection_reason is null then 1 end) as valid_count,
        count(case when rejection_reason is not null then 1 end) as rejected_count
    from {{ ref('base_otel_spans') }}

),

spans_quarantined as (

    select count(*) as row_count
    from {{ ref('conversation_events_rejected') }}
    where {{ dbt.position("'span_'", 'rejection_reason') }} = 1

),

reconciled as (

    select
        raw_spans.row_count as raw_span_count,
        spans_checked.valid_count,
        spans_checked.rejected_count,
        spans_quarantined.row_count as quarantined_span_count
    from raw_spans
    cross join spans_checked
    cross join spans_quarantined

)

select * from reconciled
where
    raw_span_count != valid_count + rejected_count
    or quarantined_span_count != rejected_count
