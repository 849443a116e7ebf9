{#- What one conversation's satisfaction score rests on, as text:
    'explicit' when it has any positive or negative feedback, else
    'implicit' when an implicit rule matched (see satisfaction_implicit_rule),
    else 'none' (the score is the neutral score). Dispatched, so a project
    can override it. -#}
{% macro satisfaction_signal(
    positive_feedback_count,
    negative_feedback_count,
    implicit_rule
) -%}
    {{ return(adapter.dispatch('satisfaction_signal', 'conversation_analytics')(
        positive_feedback_count, negative_feedback_count, implicit_rule
    )) }}
{%- endmacro %}

{% macro default__satisfaction_signal(
    positive_feedback_count,
    negative_feedback_count,
    implicit_rule
) -%}
    case
        when
            coalesce({{ positive_feedback_count }}, 0)
            + coalesce({{ negative_feedback_count }}, 0) > 0
            then 'explicit'
        when ({{ implicit_rule }}) is not null
            then 'implicit'
        else 'none'
    end
{%- endmacro %}
