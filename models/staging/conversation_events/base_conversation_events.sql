{%- set raw_events = source('conversation_events', 'conversation_events') -%}
{%- set column_types = conversation_analytics.source_column_types(raw_events) -%}
{%- set max_id_length = var('max_id_length', 512) | int -%}
{%- set earliest = var('event_time_min', '2000-01-01 00:00:00') -%}
{%- set max_ahead_hours = var('event_time_max_ahead_hours', 24) | int -%}
{#- When the row landed: the ingestion-time column when the raw table has
    one (its time is the warehouse's), else null. -#}
{%- if 'loaded_at' in column_types -%}
    {%- set loaded_at = conversation_analytics.timestamp_to_utc(
        'loaded_at', column_types.get('loaded_at')
    ) -%}
{%- else -%}
    {%- set loaded_at = 'cast(null as ' ~ dbt.type_timestamp() ~ ')' -%}
{%- endif -%}
{#- The latest plausible time is measured from when the row landed, so a
    row's verdict never changes; without the ingestion-time column, from
    the warehouse's clock now (never the dbt host's). -#}
{%- set now = conversation_analytics.zoned_timestamp_to_utc(dbt.current_timestamp()) -%}
{%- set latest = 'coalesce(loaded_at, ' ~ now ~ ')' -%}

with

raw_events as (

    select * from {{ raw_events }}

),

typed as (

    select
        {{ conversation_analytics.clean_text('id') }} as event_id,
        {{ conversation_analytics.clean_text('conversation_id') }} as conversation_id,
        {{ conversation_analytics.clean_text('user_id') }} as user_id,
        lower({{ conversation_analytics.clean_text('event_type') }}) as event_type,
        cast(event_type as {{ dbt.type_string() }}) as raw_event_type,
        {{ conversation_analytics.clean_text('metadata') }} as metadata_text,
        {{ conversation_analytics.json_column(conversation_analytics.metadata_to_json(
            'metadata', column_types.get('metadata')
        )) }} as metadata_json,
        {{ conversation_analytics.timestamp_to_utc(
            adapter.quote('timestamp'), column_types.get('timestamp')
        ) }} as event_at,
        {{ loaded_at }} as loaded_at
    from raw_events

),

validated as (

    select
        *,
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
                or event_at > {{ dbt.dateadd('hour', max_ahead_hours, latest) }}
                then 'timestamp_out_of_range'
        end as rejection_reason
    from typed

)

select * from validated
