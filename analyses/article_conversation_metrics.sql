-- get_conversation_metrics(days) from the article the project started from
-- ("Agent Conversation Analytics: Understanding User Behavior and Agent
-- Performance", CallSphere blog, 2026), over the daily mart instead of the
-- raw events: filter the days, then re-aggregate the additive
-- columns. `dbt compile --select article_conversation_metrics --vars
-- '{days: 28}'` prints the SQL to run in any SQL client.

{%- set days = var('days', 7) %}

with

daily_metrics as (

    select * from {{ ref('conversation_metrics_daily') }}

),

last_day as (

    select max(started_date) as last_started_date from daily_metrics

),

days_in_window as (

    select daily_metrics.*
    from daily_metrics
    cross join last_day
    where
        daily_metrics.started_date
        > cast({{ dbt.dateadd('day', -1 * days, 'last_day.last_started_date') }} as date)

),

reaggregated as (

    select
        sum(total_conversations) as total_conversations,
        {{ conversation_analytics.round_half_away(
            conversation_analytics.percentage(
                'sum(completed_conversations)', 'sum(total_conversations)'
            ), 1
        ) }} as completion_rate,
        {{ conversation_analytics.round_half_away(
            conversation_analytics.percentage(
                'sum(abandoned_conversations)', 'sum(total_conversations)'
            ), 1
        ) }} as abandonment_rate,
        {{ conversation_analytics.round_half_away(
            conversation_analytics.percentage(
                'sum(handoff_conversations)', 'sum(total_conversations)'
            ), 1
        ) }} as handoff_rate,
        {{ conversation_analytics.round_half_away(
            'sum(sum_user_turns) / nullif(sum(total_conversations), 0)', 1
        ) }} as avg_turns,
        {{ conversation_analytics.round_half_away(
            'sum(sum_duration_seconds) / nullif(sum(completed_conversations), 0)', 0
        ) }} as avg_duration_seconds
    from days_in_window

)

select * from reaggregated
