-- Nothing is lost (docs/event-contract.md): every raw row is either valid or
-- rejected, and staging holds exactly one event per distinct valid id.
-- Returns a row (fails) when either count disagrees.
--
-- Under raw retention (var raw_retention_days) raw holds only the recent
-- rows and staging is the record of older events, so the check is over what
-- raw still holds: every raw row is valid or rejected, every valid raw id is
-- staged, staged ids are unique, and every event staged from a row loaded
-- within the retained days still has its id among the valid raw rows.

{%- set retention_days = var('raw_retention_days', none) %}
{#- The base models besides the raw events' (spans, Langfuse exports). -#}
{%- set mapped_sources = conversation_analytics.staged_event_sources()[1:] %}

with

valid_rows as (

    -- The valid rows staging reads: the raw events' and the events the
    -- mapped sources give (staged_event_sources).
    {%- for base in conversation_analytics.staged_event_sources() %}
    {{ 'union all' if not loop.first }}
    select event_id from {{ base }}
    where rejection_reason is null
    {%- endfor %}

),

raw_rows as (

    select count(*) as row_count
    from {{ source('conversation_events', 'conversation_events') }}

),

validated as (

    select
        count(case when rejection_reason is null then 1 end) as valid_count,
        (
            select count(distinct valid_rows.event_id) from valid_rows
        ) as distinct_valid_ids
    from {{ ref('base_conversation_events') }}

),

rejected as (

    -- The raw rows rejected, and the quarantine's rows besides them: one
    -- per span or Langfuse row the mappings reject and per event of theirs
    -- that breaks the contract (docs/opentelemetry.md, docs/langfuse.md).
    select
        (
            select count(*) from {{ ref('base_conversation_events') }}
            where rejection_reason is not null
        ) as row_count,
        (
            select count(*) from {{ ref('conversation_events_rejected') }}
        ) as quarantined_count,
        0
        {%- for base in mapped_sources %}
        + (
            select count(*) from {{ base }}
            where rejection_reason is not null
        )
        {%- endfor %} as span_rejected_count

),

staged as (

    select
        count(*) as row_count,
        count(distinct event_id) as distinct_ids
    from {{ ref('stg_conversation_events') }}

),

{%- if retention_days is not none %}

valid_ids as (

    select distinct event_id
    from valid_rows

),

valid_ids_not_staged as (

    select count(*) as id_count
    from valid_ids
    left join {{ ref('stg_conversation_events') }} as staged_events
        on valid_ids.event_id = staged_events.event_id
    where staged_events.event_id is null

),

retained_staged_ids_not_in_raw as (

    -- Rows loaded since now minus the retained days are never deleted.
    select count(*) as id_count
    from {{ ref('stg_conversation_events') }} as staged_events
    left join valid_ids
        on staged_events.event_id = valid_ids.event_id
    where
        staged_events.loaded_at >= {{ dbt.dateadd(
            'day',
            -1 * retention_days | int,
            conversation_analytics.zoned_timestamp_to_utc(dbt.current_timestamp()),
        ) }}
        and valid_ids.event_id is null

),

{%- endif %}

reconciled as (

    select
        raw_rows.row_count as raw_row_count,
        validated.valid_count,
        rejected.row_count as rejected_row_count,
        rejected.quarantined_count,
        rejected.span_rejected_count,
        validated.distinct_valid_ids,
        staged.row_count as staged_row_count,
        staged.distinct_ids as staged_distinct_ids,
        {% if retention_days is not none -%}
        valid_ids_not_staged.id_count as valid_ids_not_staged_count,
        retained_staged_ids_not_in_raw.id_count
            as retained_staged_ids_not_in_raw_count
        {%- else -%}
        0 as valid_ids_not_staged_count,
        0 as retained_staged_ids_not_in_raw_count
        {%- endif %}
    from raw_rows
    cross join validated
    cross join rejected
    cross join staged
    {% if retention_days is not none -%}
    cross join valid_ids_not_staged
    cross join retained_staged_ids_not_in_raw
    {%- endif %}

)

select * from reconciled
where
    raw_row_count != valid_count + rejected_row_count
    or quarantined_count != rejected_row_count + span_rejected_count
    {% if retention_days is none -%}
    or staged_row_count != distinct_valid_ids
    {%- endif %}
    or staged_distinct_ids != staged_row_count
    or valid_ids_not_staged_count > 0
    or retained_staged_ids_not_in_raw_count > 0
