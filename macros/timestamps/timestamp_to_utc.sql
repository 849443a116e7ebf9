{#- A raw timestamp column as a UTC timestamp without time zone.
    data_type is the column's declared type: a zoned timestamp is converted
    to UTC, a plain one is taken to be UTC already, and text is parsed
    safely (docs/event-contract.md). -#}
{% macro timestamp_to_utc(column_name, data_type) -%}
    {%- set declared = (data_type or '') | lower -%}
    {%- set has_zone = 'time zone' in declared and 'without' not in declared
        or declared in ('timestamptz', 'timestamp_tz', 'timestamp with time zone') -%}
    {%- set is_text = declared in ('text', 'string', 'varchar', 'character varying')
        or declared.startswith('varchar') or declared.startswith('character varying') -%}
    {%- if has_zone -%}
        {{ conversation_analytics.zoned_timestamp_to_utc(column_name) }}
    {%- elif is_text -%}
        {{ conversation_analytics.text_timestamp_to_utc(column_name) }}
    {%- else -%}
        cast({{ column_name }} as {{ dbt.type_timestamp() }})
    {%- endif -%}
{%- endmacro %}
