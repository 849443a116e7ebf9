{%- set raw_events = source('conversation_events', 'conversation_events') -%}
{%- set column_types = conversation_analytics.source_column_types(raw_events) -%}

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
        {{ conversation_analytics.metadata_to_json(
            'metadata', column_types.get('metadata')
        ) }} as metadata_json,
        {{ conversation_analytics.timestamp_to_utc(
            adapter.quote('timestamp'), column_types.get('timestamp')
        ) }} as event_at
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
        end as rejection_reason
    from typed

)

select * from validated
