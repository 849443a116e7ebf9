{%- set raw_events = source('conversation_events', 'conversation_events') -%}
{%- set column_types = conversation_analytics.source_column_types(raw_events) -%}
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
        {{ conversation_analytics.event_rejection_reason(latest) }} as rejection_reason
    from typed

)

select * from validated
