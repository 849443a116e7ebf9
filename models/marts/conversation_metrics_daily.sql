{{ config(
    materialized='incremental',
    unique_key='started_date',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ conversation_analytics.delete_touched_periods(
        'started_date', conversation_analytics.touched_started_dates()
    ) }}",
) }}

with

conversations as (

    select * from {{ ref('fct_conversations') }}
    {% if is_incremental() -%}
    -- Rebuild whole days: those on which a changed conversation has events.
    where started_date in ({{ conversation_analytics.touched_started_dates() }})
    {%- endif %}

),

daily_metrics as (

    -- A conversation belongs to the day it started.
    select
        started_date,
        agent_id,
        channel,
        {{ conversation_analytics.conversation_rate_aggregates() }},
        {{ conversation_analytics.staged_watermark() }} as staged_at
    from conversations
    group by started_date, agent_id, channel

)

select * from daily_metrics
