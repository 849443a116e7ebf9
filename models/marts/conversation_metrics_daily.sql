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
        {{ conversation_analytics.conversation_rate_aggregates() }}
    from conversations
    group by started_date, agent_id, channel

)

select * from daily_metrics
