{#- The names of the dbt vars this project reads: the ones declared, with
    their defaults, under `vars:` in dbt_project.yml (a test keeps the two
    lists equal). check_vars() refuses any other name given on the command
    line, so a misspelt var fails the run instead of being ignored. -#}
{% macro known_vars() -%}
    {{ return([
        'raw_schema',
        'as_of',
        'inactivity_timeout_minutes',
        'incremental_lookback_hours',
        'rephrase_similarity_threshold',
        'satisfaction_quick_resolution_max_turns',
        'satisfaction_quick_resolution_signal',
        'satisfaction_handoff_signal',
        'satisfaction_long_conversation_min_turns',
        'satisfaction_long_conversation_base',
        'satisfaction_turn_penalty',
        'satisfaction_neutral_score',
        'completion_drop_alert_points',
        'alert_min_conversations',
        'summary_window_days',
    ]) }}
{%- endmacro %}
