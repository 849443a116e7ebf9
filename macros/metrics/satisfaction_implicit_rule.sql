{#- The implicit satisfaction rule one conversation matches, first match
    wins, as text:
      'quick_resolution'  completed within
                          var('satisfaction_quick_resolution_max_turns') user turns;
      'handoff'           a handoff was requested;
      'long_conversation' at least var('satisfaction_long_conversation_min_turns')
                          user turns;
    null when none matches. satisfaction_score gives each rule its signal,
    and fct_conversations publishes the rule, so the rule is written once.
    Dispatched, so a project can override it. -#}
{% macro satisfaction_implicit_rule(was_completed, had_handoff, user_turns) -%}
    {{ return(adapter.dispatch('satisfaction_implicit_rule', 'conversation_analytics')(
        was_completed, had_handoff, user_turns
    )) }}
{%- endmacro %}

{% macro default__satisfaction_implicit_rule(was_completed, had_handoff, user_turns) -%}
    case
        when
            {{ was_completed }}
            and {{ user_turns }} <= {{ var('satisfaction_quick_resolution_max_turns', 3) }}
            then 'quick_resolution'
        when {{ had_handoff }}
            then 'handoff'
        when {{ user_turns }} >= {{ var('satisfaction_long_conversation_min_turns', 3) }}
            then 'long_conversation'
    end
{%- endmacro %}
