{#- A record, not a derivation: when each weekly alert first fired cannot
    be computed again from the events, so a full refresh leaves this table
    as it is (full_refresh=false). Drop it by hand to start the record over. -#}
{{ config(**conversation_analytics.alert_history_incremental_config()) }}

{%- set now = conversation_analytics.zoned_timestamp_to_utc(dbt.current_timestamp()) %}
{#- The figures kept as they were when the alert first fired. -#}
{%- set first_figures = [
    'completion_rate', 'previous_completion_rate', 'completion_drop_p_value'
] %}

with

weekly as (

    select * from {{ ref('agent_performance_weekly') }}

),

firing as (

    select
        week_start,
        agent_id,
        completion_rate,
        previous_completion_rate,
        completion_rate_change_points,
        completion_drop_p_value,
        total_conversations,
        previous_total_conversations
    from weekly
    where completion_rate_alert

),

{% if is_incremental() -%}
recorded as (

    select * from {{ this }}

),
{%- else -%}
recorded as (

    -- The first build: nothing recorded yet.
    select
        cast(null as date) as week_start,
        cast(null as {{ dbt.type_string() }}) as agent_id,
        cast(null as {{ dbt.type_timestamp() }}) as first_fired_at,
        cast(null as {{ dbt.type_timestamp() }}) as last_fired_at,
        cast(null as {{ conversation_analytics.type_double() }})
            as first_completion_rate,
        cast(null as {{ conversation_analytics.type_double() }})
            as first_previous_completion_rate,
        cast(null as {{ conversation_analytics.type_double() }})
            as first_completion_drop_p_value
    where 1 = 0

),
{%- endif %}

history_updated as (

    -- Every alert recorded or firing now: first firing kept as it was,
    -- still firing or not as of this run.
    select
        coalesce(firing.week_start, recorded.week_start) as week_start,
        coalesce(firing.agent_id, recorded.agent_id) as agent_id,
        firing.agent_id is not null as is_open,
        coalesce(recorded.first_fired_at, {{ now }}) as first_fired_at,
        case
            when firing.agent_id is not null then {{ now }}
            else recorded.last_fired_at
        end as last_fired_at,
        {%- for figure in first_figures %}
        case
            when recorded.agent_id is not null then recorded.first_{{ figure }}
            else firing.{{ figure }}
        end as first_{{ figure }},
        {%- endfor %}
        firing.completion_rate,
        firing.previous_completion_rate,
        firing.completion_rate_change_points,
        firing.completion_drop_p_value,
        firing.total_conversations,
        firing.previous_total_conversations
    from firing
    full outer join recorded
        on
            firing.week_start = recorded.week_start
            and firing.agent_id = recorded.agent_id

)

select * from history_updated
