-- The satisfaction_score macro's own rule (default__satisfaction_score,
-- whatever a project that installs this one as a package dispatches to
-- instead) over inline rows, each compared with the score the documented
-- rule gives under the vars in force. Returns the rows it gets wrong.

{#- Each case: name, positive and negative feedback, completed, handoff,
    user turns. The expected score is worked out here from the rule as
    documented (docs/metric-definitions.md), with the satisfaction vars in
    force, so a project that tunes them keeps a meaningful, green test. The
    cases cover every rule and its boundaries under the defaults. -#}
{%- set cases = [
    ('no_signal', 0, 0, false, false, 1),
    ('quick_resolution', 0, 0, true, false, 3),
    ('quick_beats_handoff', 0, 0, true, true, 1),
    ('handoff', 0, 0, false, true, 10),
    ('long_at_threshold', 0, 0, false, false, 3),
    ('long_completed', 0, 0, true, false, 4),
    ('long_floor', 0, 0, false, false, 20),
    ('explicit_only', 1, 1, false, false, 0),
    ('positive_and_quick', 2, 0, true, false, 2),
    ('negative_and_handoff', 0, 1, false, true, 2),
    ('mixed_and_long', 1, 2, false, false, 5),
] -%}
{%- set quick_max = var('satisfaction_quick_resolution_max_turns', 3) | float -%}
{%- set long_min = var('satisfaction_long_conversation_min_turns', 3) | float -%}

{%- set expected_scores = [] -%}
{%- for name, positive, negative, completed, handoff, turns in cases -%}
{%- if completed and turns <= quick_max -%}
{%- set implicit = [var('satisfaction_quick_resolution_signal', 1.0) | float] -%}
{%- elif handoff -%}
{%- set implicit = [var('satisfaction_handoff_signal', 0.3) | float] -%}
{%- elif turns >= long_min -%}
{%- set penalised = var('satisfaction_long_conversation_base', 0.8) | float
- var('satisfaction_turn_penalty', 0.1) | float * (turns - quick_max) -%}
{%- set implicit = [[0.0, penalised] | max] -%}
{%- else -%}
{%- set implicit = [] -%}
{%- endif -%}
{%- set signal_count = positive + negative + implicit | length -%}
{%- if signal_count == 0 -%}
{%- do expected_scores.append(var('satisfaction_neutral_score', 0.5) | float) -%}
{%- else -%}
{%- do expected_scores.append((positive + implicit | sum) / signal_count) -%}
{%- endif -%}
{%- endfor %}

with

cases as (

    {% for name, positive, negative, completed, handoff, turns in cases -%}
    select
        '{{ name }}' as case_name,
        {{ positive }} as positive_feedback_count,
        {{ negative }} as negative_feedback_count,
        {{ completed | lower }} as was_completed,
        {{ handoff | lower }} as had_handoff,
        {{ turns }} as user_turns,
        {{ expected_scores[loop.index0] }} as expected_score
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

scored as (

    select
        case_name,
        expected_score,
        {{ conversation_analytics.default__satisfaction_score(
            'positive_feedback_count',
            'negative_feedback_count',
            'was_completed',
            'had_handoff',
            'user_turns'
        ) }} as actual_score
    from cases

)

select * from scored
where abs(actual_score - expected_score) > 1e-9
