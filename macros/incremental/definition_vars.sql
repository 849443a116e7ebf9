{#- The vars that define what the incremental models store (metric rules,
    the as-of time, the quarantine's rules, whether and how spans are
    mapped to events): when any of them differs from
    the last build of a model, that model is rebuilt in full (see
    should_full_refresh). Bookkeeping vars (raw_schema,
    ingestion_lookback_minutes) and those of the table marts are not in it. -#}
{% macro definition_vars() -%}
    {{ return([
        'as_of',
        'inactivity_timeout_minutes',
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
        'alert_rule',
        'alert_significance_level',
        'confidence_level',
        'max_id_length',
        'event_time_min',
        'event_time_max_ahead_hours',
        'pseudonymize_user_ids',
        'otel_spans_enabled',
        'otel_user_id_attribute',
        'otel_channel_attribute',
        'otel_outcome_event',
        'otel_outcome_attribute',
        'langfuse_enabled',
        'langfuse_agent_id_key',
        'langfuse_channel_key',
        'langfuse_outcome_key',
        'langfuse_feedback_score_names',
        'langfuse_tool_span_names',
    ]) }}
{%- endmacro %}
