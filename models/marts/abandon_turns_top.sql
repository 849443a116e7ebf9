with

windowed_conversations as (

    select * from {{ ref('int_conversations_in_summary_windows') }}

),

abandons_counted as (

    select
        window_days,
        abandoned_at_turn as abandon_turn,
        count(*) as abandon_count
    from windowed_conversations
    where was_abandoned
    group by window_days, abandoned_at_turn

),

abandons_ranked as (

    -- get_drop_off_analysis from the article the project started from
    -- ("Agent Conversation Analytics: Understanding User Behavior and Agent
    -- Performance", CallSphere blog, 2026): the ten most common abandon
    -- turns per window; ties go to the earlier turn.
    select
        window_days,
        row_number() over (
            partition by window_days order by abandon_count desc, abandon_turn asc
        ) as abandon_rank,
        abandon_turn,
        abandon_count
    from abandons_counted

)

select * from abandons_ranked
where abandon_rank <= 10
