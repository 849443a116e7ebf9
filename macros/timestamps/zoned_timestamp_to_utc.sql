{#- A timestamp with time zone as the UTC wall-clock timestamp. -#}
{% macro zoned_timestamp_to_utc(column_name) -%}
    {{ return(adapter.dispatch('zoned_timestamp_to_utc', 'conversation_analytics')(column_name)) }}
{%- endmacro %}

{% macro default__zoned_timestamp_to_utc(column_name) -%}
    {{ conversation_analytics.adapter_not_supported('zoned_timestamp_to_utc') }}
{%- endmacro %}

{% macro postgres__zoned_timestamp_to_utc(column_name) -%}
    ({{ column_name }} at time zone 'UTC')
{%- endmacro %}

{% macro duckdb__zoned_timestamp_to_utc(column_name) -%}
    timezone('UTC', {{ column_name }})
{%- endmacro %}

{#- Spark's timestamp is an instant shown in the session's time zone, which
    every connection of a run sets to UTC (set_session_timeouts). -#}
{% macro spark__zoned_timestamp_to_utc(column_name) -%}
    cast({{ column_name }} as timestamp)
{%- endmacro %}
