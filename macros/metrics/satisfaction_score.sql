{#- Satisfaction, 0-1, for one conversation (docs/metric-definitions.md).

    Signals: each positive feedback is 1.0, each negative 0.0; plus at most
    one implicit signal, for the rule satisfaction_implicit_rule matches:
      quick_resolution: the quick-resolution signal;
      handoff: the handoff signal;
      long_conversation: base minus a penalty per turn beyond the
         quick-resolution maximum, floored at 0.
    The score is the mean of the signals, the neutral score when there are
    none. Every constant is a var. Dispatched, so a project can override it.
-#}
{% macro satisfaction_score(
    positive_feedback_count,
    negative_feedback_count,
    was_completed,
    had_handoff,
    user_turns
) -%}
    {{ return(adapter.dispatch('satisfaction_score', 'conversation_analytics')(
        positive_feedback_count,
        negative_feedback_count,
        was_completed,
        had_handoff,
        user_turns
    )) }}
{%- endmacro %}

{% macro default__satisfaction_score(
    positive_feedback_count,
    negative_feedback_count,
    was_completed,
    had_handoff,
    user_turns
) -%}
    {%- set double = conversation_analytics.type_double() -%}
    {%- set rule = conversation_analytics.satisfaction_implicit_rule(
        was_completed, had_handoff, user_turns
    ) -%}
    {%- set implicit -%}
        case {{ rule }}
            when 'quick_resolution'
                then cast({{ var('satisfaction_quick_resolution_signal', 1.0) }} as {{ double }})
            when 'handoff'
                then cast({{ var('satisfaction_handoff_signal', 0.3) }} as {{ double }})
            when 'long_conversation'
                then greatest(
                    cast(0 as {{ double }}),
                    cast({{ var('satisfaction_long_conversation_base', 0.8) }} as {{ double }})
                    - cast({{ var('satisfaction_turn_penalty', 0.1) }} as {{ double }})
                    * ({{ user_turns }} - {{ var('satisfaction_quick_resolution_max_turns', 3) }})
                )
        end
    {%- endset -%}
    coalesce(
        (
            cast(coalesce({{ positive_feedback_count }}, 0) as {{ double }})
            + coalesce({{ implicit }}, 0)
        )
        / nullif(
            coalesce({{ positive_feedback_count }}, 0)
            + coalesce({{ negative_feedback_count }}, 0)
            + case when ({{ implicit }}) is null then 0 else 1 end,
            0
        ),
        cast({{ var('satisfaction_neutral_score', 0.5) }} as {{ double }})
    )
{%- endmacro %}
