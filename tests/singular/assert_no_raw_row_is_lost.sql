-- Nothing is lost (docs/event-contract.md): every raw row is either valid or
-- rejected, and staging holds exactly one event per distinct valid id.
-- Returns a row (fails) when either count disagrees.

with

raw_rows as (

    select count(*) as row_count
    from {{ source('conversation_events', 'conversation_events') }}

),

validated as (

    select
        count(case when rejection_reason is null then 1 end) as valid_count,
        count(distinct case when rejection_reason is null then event_id end)
            as distinct_valid_ids
    from {{ ref('base_conversation_events') }}

),

rejected as (

    select count(*) as row_count
    from {{ ref('conversation_events_rejected') }}

),

staged as (

    select
        count(*) as row_count,
        count(distinct event_id) as distinct_ids
    from {{ ref('stg_conversation_events') }}

),

reconciled as (

    select
        raw_rows.row_count as raw_row_count,
        validated.valid_count,
        rejected.row_count as rejected_row_count,
        validated.distinct_valid_ids,
        staged.row_count as staged_row_count,
        staged.distinct_ids as staged_distinct_ids
    from raw_rows
    cross join validated
    cross join rejected
    cross join staged

)

select * from reconciled
where
    raw_row_count != valid_count + rejected_row_count
    or staged_row_count != distinct_valid_ids
    or staged_distinct_ids != staged_row_count
