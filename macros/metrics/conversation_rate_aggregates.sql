{#- The rate metrics of conversation_metrics_daily
    (docs/metric-definitions.md) as aggregate select columns over
    rows of fct_conversations, for whatever grain the caller groups by.
    Averages are sums over counts in double precision, so every adapter
    computes (and rounds) them the same way; the sums of doubles are
    exact_sum, the same in any row order. Rows with a null
    conversation_id (an outer join's empty side) count as nothing. -#}
{% macro conversation_rate_aggregates() -%}
    {%- set double = conversation_analytics.type_double() -%}
    {%- set pct = conversation_analytics.percentage -%}
    {%- set round_to = conversation_analytics.round_half_away -%}
    {%- set completed = "count(case when was_completed then 1 end)" -%}
    {%- set abandoned = "count(case when was_abandoned then 1 end)" -%}
    {%- set handoff = "count(case when had_handoff then 1 end)" -%}
    {%- set total = "count(conversation_id)" -%}
    {%- set sum_duration = conversation_analytics.exact_sum('duration_seconds') -%}
    {%- set sum_satisfaction = conversation_analytics.exact_sum('satisfaction_score') -%}
    {#- The outcome mix: each conversation in exactly one, first match wins,
        so the five counts add up to total_conversations. -#}
    {%- set unresolved = "not was_completed and not was_abandoned" -%}
    {%- set outcome_mix = [
        ('completed', completed),
        ('ended_abandoned', "count(case when outcome = 'abandoned' then 1 end)"),
        ('ended_handed_off', "count(case when " ~ unresolved ~ " and had_handoff then 1 end)"),
        ('timed_out', "count(case when outcome = 'timed_out' and not had_handoff then 1 end)"),
        ('in_progress', "count(case when outcome = 'in_progress' and not had_handoff then 1 end)"),
    ] -%}
        {{ total }} as total_conversations,
        {{ completed }} as completed_conversations,
        {{ abandoned }} as abandoned_conversations,
        {{ handoff }} as handoff_conversations,
        {{ round_to(pct(completed, total), 1) }} as completion_rate,
        {{ round_to(pct(abandoned, total), 1) }} as abandonment_rate,
        {{ round_to(pct(handoff, total), 1) }} as handoff_rate,
        {%- for rate, count in [
            ('completion_rate', completed),
            ('abandonment_rate', abandoned),
            ('handoff_rate', handoff),
        ] %}
        {{ conversation_analytics.wilson_interval_columns(rate, count, total) }},
        {%- endfor %}
        {%- for name, count in outcome_mix[1:] %}
        {{ count }} as {{ name }}_conversations,
        {%- endfor %}
        {%- for name, count in outcome_mix %}
        {{ round_to(pct(count, total), 1) }} as {{ name }}_share,
        {%- endfor %}
        {{ round_to('cast(sum(user_turns) as ' ~ double ~ ') / nullif(' ~ total ~ ', 0)', 1) }}
            as avg_turns,
        {{ round_to(sum_duration ~ ' / nullif(count(duration_seconds), 0)', 0) }}
            as avg_duration_seconds,
        {{ round_to(sum_satisfaction ~ ' / nullif(' ~ total ~ ', 0)', 3) }}
            as avg_satisfaction_score,
        {{ round_to(pct('sum(rephrase_count)', 'sum(user_turns)'), 1) }} as rephrase_rate,
        cast(coalesce(sum(user_turns), 0) as {{ dbt.type_bigint() }}) as sum_user_turns,
        coalesce({{ sum_duration }}, 0) as sum_duration_seconds,
        coalesce({{ sum_satisfaction }}, 0) as sum_satisfaction_score,
        cast(coalesce(sum(rephrase_count), 0) as {{ dbt.type_bigint() }}) as sum_rephrase_count
{%- endmacro %}
