{#- The quarantine's rejection reason of one event row, or null when the
    row is valid (docs/event-contract.md, "Validation and the quarantine"):
    the first of missing_id, missing_conversation_id, missing_timestamp,
    unknown_event_type, id_too_long, timestamp_out_of_range that applies.
    Reads the columns event_id, conversation_id, event_at (UTC) and
    event_type (trimmed, lowercase) of the row; `latest_expr` is the time
    the future bound is measured from. -#}
{% macro event_rejection_reason(latest_expr) -%}
    {%- set max_id_length = var('max_id_length', 512) | int -%}
    {%- set earliest = var('event_time_min', '2000-01-01 00:00:00') -%}
    {%- set max_ahead_hours = var('event_time_max_ahead_hours', 24) | int -%}
    case
        when event_id is null then 'missing_id'
        when conversation_id is null then 'missing_conversation_id'
        when event_at is null then 'missing_timestamp'
        when
            event_type is null
            or event_type not in (
                {%- for known_type in conversation_analytics.event_types() %}
                '{{ known_type }}'{{ ',' if not loop.last }}
                {%- endfor %}
            )
            then 'unknown_event_type'
        -- Rows no sane writer produces: an id past the documented
        -- maximum (PostgreSQL could not even index it), a time outside
        -- the plausibility window (year 1, 9999-12-31, infinity).
        when
            length(event_id) > {{ max_id_length }}
            or length(conversation_id) > {{ max_id_length }}
            then 'id_too_long'
        when
            event_at < cast('{{ earliest }}' as {{ dbt.type_timestamp() }})
            or event_at > {{ dbt.dateadd('hour', max_ahead_hours, latest_expr) }}
            then 'timestamp_out_of_range'
    end
{%- endmacro %}
