with

conversations as (

    select * from {{ ref('fct_conversations') }}

),

daily_metrics as (

    -- A conversation belongs to the day it started.
    select
        started_date,
        agent_id,
        channel,
        {{ conversation_analytics.conversation_rate_aggregates() }},
        -- Provisional: a conversation of the day is still in progress, so its
        -- rates can still change.
        count(case when outcome = 'in_progress' then 1 end) > 0 as is_provisional,
        {{ conversation_analytics.staged_watermark() }} as staged_batch
    from conversations
    group by started_date, agent_id, channel

)

select * from daily_metrics
-- Incremental: a run rebuilds the days on which a changed conversation has
-- events, and the days that were provisional, whose open conversations may
-- have timed out since.
{{ conversation_analytics.incremental_by_touched_periods(
    'started_date', 'touched_started_dates', open_condition='open_periods.is_provisional'
) }}
