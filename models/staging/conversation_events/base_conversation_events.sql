{%- set raw_events = source('conversation_events', 'conversation_events') -%}
{%- set column_types = conversation_analytics.source_column_types(raw_events) -%}
{#- A json/jsonb column is used as it is. Text metadata is parsed once
    trimmed, like every text field (clean_text): metadata padded with a
    no-break space reads its keys, and two copies whose metadata differs
    only in that padding, which tie on every ordering key (the hash is of
    the trimmed text), read alike whichever of them is kept. -#}
{%- set metadata_type = column_types.get('metadata') -%}
{%- set metadata_is_parsed = (metadata_type or '') | lower in ('json', 'jsonb', 'variant') -%}
{%- set metadata_json = conversation_analytics.json_column(
    conversation_analytics.metadata_to_json('metadata', metadata_type) if metadata_is_parsed
    else conversation_analytics.parse_json_text('metadata_text')
) -%}
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
        {%- if metadata_is_parsed %}
        {{ metadata_json }} as metadata_json,
        {%- endif %}
        {{ conversation_analytics.timestamp_to_utc(
            adapter.quote('timestamp'), column_types.get('timestamp')
        ) }} as event_at,
        {{ loaded_at }} as loaded_at
    from raw_events

),

validated as (

    select
        *,
        {%- if not metadata_is_parsed %}
        {{ metadata_json }} as metadata_json,
        {%- endif %}
        {{ conversation_analytics.event_rejection_reason(latest) }} as rejection_reason
    from typed

)

select * from validated
