-- Nothing is lost on the Langfuse path (docs/langfuse.md): every raw trace,
-- observation and score is either placed by the mapping or quarantined with
-- a langfuse_* reason, one quarantine row per rejected raw row. Returns a
-- row (fails) when the counts disagree. Runs only with var('langfuse_enabled').

{{ config(enabled=var('langfuse_enabled', false) | string | lower == 'true') }}

{%- set tables = [
    ['langfuse_traces', 'base_langfuse_traces'],
    ['langfuse_observations', 'base_langfuse_observations'],
    ['langfuse_scores', 'base_langfuse_scores'],
] %}

with

raw_rows as (

    select
        {%- for raw_table, _ in tables %}
        (select count(*) from {{ source('langfuse', raw_table) }})
        {{- ' +' if not loop.last }}
        {%- endfor %} as row_count

),

base_rows as (

    {%- for _, base in tables %}
    {{ 'union all' if not loop.first }}
    select rejection_reason from {{ ref(base) }}
    {%- endfor %}

),

rows_checked as (

    select
        count(case when rejection_reason is null then 1 end) as valid_count,
        count(case when rejection_reason is not null then 1 end) as rejected_count
    from base_rows

),

rows_quarantined as (

    select count(*) as row_count
    from {{ ref('conversation_events_rejected') }}
    where {{ dbt.position("'langfuse_'", 'rejection_reason') }} = 1

),

reconciled as (

    select
        raw_rows.row_count as raw_row_count,
        rows_checked.valid_count,
        rows_checked.rejected_count,
        rows_quarantined.row_count as quarantined_row_count
    from raw_rows
    cross join rows_checked
    cross join rows_quarantined

)

select * from reconciled
where
    raw_row_count != valid_count + rejected_count
    or quarantined_row_count != rejected_count
