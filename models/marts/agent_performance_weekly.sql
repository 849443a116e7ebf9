with

conversations as (

    select * from {{ ref('fct_conversations') }}

),

weekly_counts as (

    select
        {{ conversation_analytics.week_start('started_at') }} as week_start,
        agent_id,
        count(*) as total_conversations,
        count(case when was_completed then 1 end) as completed_conversations,
        {{ conversation_analytics.percentage(
            'count(case when was_completed then 1 end)', 'count(*)'
        ) }} as completion_rate_unrounded,
        sum(satisfaction_score) / count(*) as satisfaction_score_mean
    from conversations
    group by {{ conversation_analytics.week_start('started_at') }}, agent_id

),

weeks_compared as (

    -- The same agent's calendar week before; no row there means no
    -- conversations, so no previous rate.
    select
        this_week.week_start,
        this_week.agent_id,
        this_week.total_conversations,
        this_week.completed_conversations,
        this_week.completion_rate_unrounded,
        this_week.satisfaction_score_mean,
        previous_week.total_conversations as previous_total_conversations,
        previous_week.completed_conversations as previous_completed_conversations,
        previous_week.completion_rate_unrounded as previous_completion_rate_unrounded,
        this_week.completion_rate_unrounded
        - previous_week.completion_rate_unrounded as completion_rate_change_unrounded
    from weekly_counts as this_week
    left join weekly_counts as previous_week
        on
            this_week.agent_id = previous_week.agent_id
            and this_week.week_start
            = cast({{ dbt.dateadd('day', 7, 'previous_week.week_start') }} as date)

),

alerts_raised as (

    select
        week_start,
        agent_id,
        total_conversations,
        completed_conversations,
        coalesce(previous_total_conversations, 0) as previous_total_conversations,
        {{ conversation_analytics.round_half_away('completion_rate_unrounded', 1) }}
            as completion_rate,
        {{ conversation_analytics.round_half_away('previous_completion_rate_unrounded', 1) }}
            as previous_completion_rate,
        {{ conversation_analytics.round_half_away('completion_rate_change_unrounded', 1) }}
            as completion_rate_change_points,
        {{ conversation_analytics.round_half_away('satisfaction_score_mean', 3) }}
            as avg_satisfaction_score,
        -- The drop compared in exact integer arithmetic (rates cross-multiplied),
        -- so a fall of exactly the threshold alerts whatever float rounding does.
        coalesce(
            100 * (
                completed_conversations * previous_total_conversations
                - previous_completed_conversations * total_conversations
            )
            <= -1 * {{ var('completion_drop_alert_points', 5) }}
            * total_conversations * previous_total_conversations
            and total_conversations >= {{ var('alert_min_conversations', 20) }}
            and previous_total_conversations >= {{ var('alert_min_conversations', 20) }},
            false
        ) as completion_rate_alert,
        {{ conversation_analytics.staged_watermark() }} as staged_batch
    from weeks_compared

)

select * from alerts_raised
-- Incremental: a run rebuilds the weeks in which a changed conversation has
-- events, and the week after each, whose comparison changes with them.
{{ conversation_analytics.incremental_by_touched_periods('week_start', 'touched_weeks') }}
