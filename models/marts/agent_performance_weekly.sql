with

conversations as (

    select * from {{ ref('fct_conversations') }}

),

as_of as (

    select {{ conversation_analytics.as_of_timestamp(ref('fct_conversations')) }} as as_of_at

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
        {{ conversation_analytics.exact_sum('satisfaction_score') }} / count(*)
            as satisfaction_score_mean
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
        - previous_week.completion_rate_unrounded as completion_rate_change_unrounded,
        {{ conversation_analytics.proportion_drop_z(
            'previous_week.completed_conversations',
            'previous_week.total_conversations',
            'this_week.completed_conversations',
            'this_week.total_conversations',
        ) }} as completion_change_z,
        -- A week is complete once the as-of time is past its end by the
        -- inactivity timeout: its conversations can no longer change.
        coalesce(
            {{ dbt.dateadd(
                'minute',
                7 * 24 * 60 + var('inactivity_timeout_minutes', 30) | int,
                'cast(this_week.week_start as ' ~ dbt.type_timestamp() ~ ')',
            ) }} <= as_of.as_of_at,
            false
        ) as is_complete_week
    from weekly_counts as this_week
    cross join as_of
    left join weekly_counts as previous_week
        on
            this_week.agent_id = previous_week.agent_id
            and this_week.week_start
            = cast({{ dbt.dateadd('day', 7, 'previous_week.week_start') }} as date)

),

drops_tested as (

    select
        *,
        {{ conversation_analytics.standard_normal_cdf('completion_change_z') }}
            as completion_drop_p_value,
        -- The fall in exact integer arithmetic (rates cross-multiplied), so a
        -- fall of exactly the threshold counts whatever float rounding does.
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
        ) as fell_by_alert_points
    from weeks_compared

),

alerts_raised as (

    select
        week_start,
        agent_id,
        agent_id <> 'unknown' as is_known_agent,
        is_complete_week,
        total_conversations,
        completed_conversations,
        coalesce(previous_total_conversations, 0) as previous_total_conversations,
        coalesce(previous_completed_conversations, 0) as previous_completed_conversations,
        {{ conversation_analytics.round_half_away('completion_rate_unrounded', 1) }}
            as completion_rate,
        {{ conversation_analytics.wilson_interval_columns(
            'completion_rate', 'completed_conversations', 'total_conversations'
        ) }},
        {{ conversation_analytics.round_half_away('previous_completion_rate_unrounded', 1) }}
            as previous_completion_rate,
        {{ conversation_analytics.wilson_interval_columns(
            'previous_completion_rate',
            'previous_completed_conversations',
            'previous_total_conversations',
        ) }},
        {{ conversation_analytics.round_half_away('completion_rate_change_unrounded', 1) }}
            as completion_rate_change_points,
        completion_drop_p_value,
        {{ conversation_analytics.round_half_away('satisfaction_score_mean', 3) }}
            as avg_satisfaction_score,
        {% if var('alert_rule', 'significant') == 'points' -%}
        -- var alert_rule 'points': the fall in points alone, in any week.
        fell_by_alert_points as completion_rate_alert,
        {%- else -%}
        -- The fall in points, significant at var alert_significance_level,
        -- in a complete week of a known agent.
        coalesce(
            fell_by_alert_points
            and completion_drop_p_value < {{ var('alert_significance_level', 0.05) }}
            and is_complete_week
            and agent_id <> 'unknown',
            false
        ) as completion_rate_alert,
        {%- endif %}
        {{ conversation_analytics.staged_watermark() }} as staged_batch
    from drops_tested

)

select * from alerts_raised
-- Incremental: a run rebuilds the weeks in which a changed conversation has
-- events, the week after each, whose comparison changes with them, and the
-- weeks not complete at the last run, which the as-of time may complete.
{{ conversation_analytics.incremental_by_touched_periods(
    'week_start', 'touched_weeks', open_condition='not open_periods.is_complete_week'
) }}
