{#- The trailing windows, in days: var('summary_window_days'), a list of
    positive whole numbers (a single number is a list of one). -#}
{%- set configured = var('summary_window_days', [7, 28]) -%}
{%- set window_days = (configured if configured is iterable and configured is not string
    else [configured]) | map('int') | unique | list -%}
{%- if window_days | length == 0 or window_days | min < 1
    or (configured is iterable and configured is not string
        and configured | length != window_days | length) -%}
    {{ exceptions.raise_compiler_error(
        "var summary_window_days must list positive whole numbers of days, once each, "
        ~ "e.g. [7, 28]; got " ~ configured
    ) }}
{%- endif -%}

with

conversations as (

    select * from {{ ref('fct_conversations') }}

),

as_of as (

    select {{ conversation_analytics.as_of_timestamp(ref('fct_conversations')) }} as as_of_at

),

summary_windows as (

    {% for days in window_days -%}
    select cast({{ days }} as integer) as window_days
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

windows_anchored as (

    select
        summary_windows.window_days,
        as_of.as_of_at,
        {{ dbt.dateadd('day', '-1 * summary_windows.window_days', 'as_of.as_of_at') }}
            as window_start_at
    from summary_windows
    cross join as_of

),

conversations_windowed as (

    -- Each window keeps the conversations that started in
    -- (as-of minus window, as-of]; a window with none keeps one empty row.
    select
        windows_anchored.window_days,
        windows_anchored.window_start_at,
        windows_anchored.as_of_at,
        conversations.conversation_id,
        conversations.agent_id,
        conversations.started_date,
        conversations.user_turns,
        conversations.abandoned_at_turn,
        conversations.duration_seconds,
        conversations.satisfaction_score,
        conversations.implicit_satisfaction_rule,
        conversations.satisfaction_signal,
        conversations.rephrase_count,
        conversations.was_completed,
        conversations.was_abandoned,
        conversations.had_handoff,
        conversations.outcome
    from windows_anchored
    left join conversations
        on
            windows_anchored.window_start_at < conversations.started_at
            and windows_anchored.as_of_at >= conversations.started_at

)

select * from conversations_windowed
