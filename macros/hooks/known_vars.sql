{#- The dbt vars this project reads, each with the kind of value it takes:
    the vars declared, with their defaults, under `vars:` in dbt_project.yml
    (a test keeps the two lists equal). check_vars() refuses any other name
    given on the command line, so a misspelt var fails the run instead of
    being ignored, and any value not of its kind, so no var can carry SQL.

    Kinds: identifier (a database, schema or table name; identifier_or_null also takes null,
    for a role name that may be unset), timestamp ('YYYY-MM-DD[ HH:MM[:SS[.f]]]',
    UTC; timestamp_or_null also takes null), number, integer (>= 0;
    integer_or_null also takes null),
    integer_list (a list of positive integers), boolean, date ('YYYY-MM-DD'),
    probability (a number strictly between 0 and 1), confidence_level (one
    of confidence_level_quantiles), alert_rule ('significant' or 'points'),
    attribute_name (an OpenTelemetry attribute or event name: letters,
    digits, '_', '.', '-', at most 255, starting with a letter or '_'). -#}
{% macro known_vars() -%}
    {{ return({
        'raw_database': 'identifier_or_null',
        'raw_schema': 'identifier',
        'raw_table': 'identifier',
        'bi_reader_role': 'identifier_or_null',
        'pseudonymize_user_ids': 'boolean',
        'as_of': 'timestamp_or_null',
        'inactivity_timeout_minutes': 'integer',
        'max_id_length': 'integer',
        'event_time_min': 'timestamp',
        'event_time_max_ahead_hours': 'integer',
        'ingestion_lookback_minutes': 'integer',
        'raw_retention_days': 'integer_or_null',
        'quarantine_warn_share': 'number',
        'late_arrival_warn_hours': 'integer',
        'rephrase_similarity_threshold': 'number',
        'satisfaction_quick_resolution_max_turns': 'integer',
        'satisfaction_quick_resolution_signal': 'number',
        'satisfaction_handoff_signal': 'number',
        'satisfaction_long_conversation_min_turns': 'integer',
        'satisfaction_long_conversation_base': 'number',
        'satisfaction_turn_penalty': 'number',
        'satisfaction_neutral_score': 'number',
        'completion_drop_alert_points': 'number',
        'alert_min_conversations': 'integer',
        'alert_rule': 'alert_rule',
        'alert_significance_level': 'probability',
        'confidence_level': 'confidence_level',
        'summary_window_days': 'integer_list',
        'days': 'integer',
        'time_spine_start_date': 'date',
        'time_spine_end_date': 'date',
        'otel_spans_enabled': 'boolean',
        'otel_spans_schema': 'identifier_or_null',
        'otel_spans_table': 'identifier',
        'otel_user_id_attribute': 'attribute_name',
        'otel_channel_attribute': 'attribute_name',
        'otel_outcome_event': 'attribute_name',
        'otel_outcome_attribute': 'attribute_name',
        'langfuse_enabled': 'boolean',
        'langfuse_schema': 'identifier_or_null',
        'langfuse_agent_id_key': 'attribute_name',
        'langfuse_channel_key': 'attribute_name',
        'langfuse_outcome_key': 'attribute_name',
        'langfuse_feedback_score_names': 'attribute_name_list',
        'langfuse_tool_span_names': 'attribute_name_list',
    }) }}
{%- endmacro %}
