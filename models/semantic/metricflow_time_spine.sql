{#- One row per day: the calendar MetricFlow joins to for metric_time (day,
    week, month). The range covers any data this project will see; widen it
    with the vars if yours starts earlier or runs later. The day count is
    worked out here, so compiling needs no query. -#}
{%- for name in ('time_spine_start_date', 'time_spine_end_date') -%}
{%- set problem = conversation_analytics.var_kind_problem(var(name, none), 'date') -%}
{%- if problem -%}
{%- do exceptions.raise_compiler_error(
    'var ' ~ name ~ ' is ' ~ (var(name, none) | string)[:80] ~ ': ' ~ problem
) -%}
{%- endif -%}
{%- endfor -%}
{%- set first_day = modules.datetime.date.fromisoformat(
    var('time_spine_start_date', '2020-01-01')
) -%}
{%- set last_day = modules.datetime.date.fromisoformat(
    var('time_spine_end_date', '2036-01-01')
) -%}

with

day_numbers as (

    {{ dbt.generate_series((last_day - first_day).days + 1) }}

),

days_counted as (

    select
        cast(
            {{ dbt.dateadd(
                'day', 'generated_number - 1', "cast('" ~ first_day ~ "' as date)"
            ) }} as date
        ) as date_day
    from day_numbers

)

select * from days_counted
