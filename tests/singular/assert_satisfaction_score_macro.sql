-- The satisfaction_score macro over inline rows with hand-computed scores
-- (SPEC section 5, default vars). Returns the rows it gets wrong.

{% set cases = [
    ('no_signal', 0, 0, false, false, 1, 0.5),
    ('quick_resolution', 0, 0, true, false, 3, 1.0),
    ('quick_beats_handoff', 0, 0, true, true, 1, 1.0),
    ('handoff', 0, 0, false, true, 10, 0.3),
    ('long_at_threshold', 0, 0, false, false, 3, 0.8),
    ('long_completed', 0, 0, true, false, 4, 0.7),
    ('long_floor', 0, 0, false, false, 20, 0.0),
    ('explicit_only', 1, 1, false, false, 0, 0.5),
    ('positive_and_quick', 2, 0, true, false, 2, 1.0),
    ('negative_and_handoff', 0, 1, false, true, 2, 0.15),
    ('mixed_and_long', 1, 2, false, false, 5, 0.4),
] -%}

with

cases as (

    {% for name, positive, negative, completed, handoff, turns, expected in cases -%}
    select
        '{{ name }}' as case_name,
        {{ positive }} as positive_feedback_count,
        {{ negative }} as negative_feedback_count,
        {{ completed | lower }} as was_completed,
        {{ handoff | lower }} as had_handoff,
        {{ turns }} as user_turns,
        {{ expected }} as expected_score
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

scored as (

    select
        case_name,
        expected_score,
        {{ conversation_analytics.satisfaction_score(
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
