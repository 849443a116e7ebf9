-- get_drop_off_analysis(days) from the article the project started from
-- ("Agent Conversation Analytics: Understanding User Behavior and Agent
-- Performance", CallSphere blog, 2026): the ten most common abandon turns of
-- the last N days, as a filter and a sum over conversation_drop_off.

{%- set days = var('days', 7) %}

with

drop_off as (

    select * from {{ ref('conversation_drop_off') }}

),

last_day as (

    select max(started_date) as last_started_date from drop_off

),

abandons_in_window as (

    select
        drop_off.abandon_turn,
        sum(drop_off.abandon_count) as abandon_count
    from drop_off
    cross join last_day
    where
        drop_off.started_date
        > cast({{ dbt.dateadd('day', -1 * days, 'last_day.last_started_date') }} as date)
    group by drop_off.abandon_turn

),

ranked as (

    select
        abandon_turn,
        abandon_count
    from abandons_in_window
    order by abandon_count desc, abandon_turn asc
    limit 10

)

select * from ranked
