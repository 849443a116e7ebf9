with

conversations as (

    select * from {{ ref('fct_conversations') }}
    {% if is_incremental() -%}
    -- Every row counts conversations of its own day, so an incremental run
    -- reads only the days it rebuilds (the filter at the end, after the
    -- join and the grouping, is one PostgreSQL does not push down).
    where {{ conversation_analytics.periods_to_rebuild('started_date', 'touched_started_dates') }}
    {%- endif %}

),

abandons_counted as (

    select
        started_date,
        agent_id,
        channel,
        abandoned_at_turn as abandon_turn,
        count(*) as abandon_count
    from conversations
    where was_abandoned
    group by started_date, agent_id, channel, abandoned_at_turn

),

reach_counted as (

    -- How many conversations of the same day, agent and channel got as far
    -- as each abandon turn: the denominator of a drop-off rate.
    select
        abandons_counted.started_date,
        abandons_counted.agent_id,
        abandons_counted.channel,
        abandons_counted.abandon_turn,
        abandons_counted.abandon_count,
        count(conversations.conversation_id) as conversations_reaching_turn,
        {{ conversation_analytics.staged_watermark() }} as staged_batch
    from abandons_counted
    left join conversations
        on
            abandons_counted.started_date = conversations.started_date
            and abandons_counted.agent_id = conversations.agent_id
            and abandons_counted.channel = conversations.channel
            and abandons_counted.abandon_turn <= conversations.user_turns
    group by
        abandons_counted.started_date,
        abandons_counted.agent_id,
        abandons_counted.channel,
        abandons_counted.abandon_turn,
        abandons_counted.abandon_count

)

select * from reach_counted
-- Incremental: a run rebuilds the days on which a changed conversation has events.
{{ conversation_analytics.incremental_by_touched_periods('started_date', 'touched_started_dates') }}
