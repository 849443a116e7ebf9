{#- The outcome of one conversation (docs/metric-definitions.md), first match wins:
    completed, abandoned, timed_out (no event for more than
    var('inactivity_timeout_minutes') before the as-of time), in_progress.
    Dispatched, so a project can override the definition. -#}
{% macro conversation_outcome(was_completed, was_abandoned, last_event_at, as_of_at) -%}
    {{ return(adapter.dispatch('conversation_outcome', 'conversation_analytics')(
        was_completed, was_abandoned, last_event_at, as_of_at
    )) }}
{%- endmacro %}

{% macro default__conversation_outcome(was_completed, was_abandoned, last_event_at, as_of_at) -%}
    case
        when {{ was_completed }} then 'completed'
        when {{ was_abandoned }} then 'abandoned'
        when {{ last_event_at }} < {{ dbt.dateadd(
            'minute', -1 * var('inactivity_timeout_minutes', 30) | int, as_of_at
        ) }} then 'timed_out'
        else 'in_progress'
    end
{%- endmacro %}
