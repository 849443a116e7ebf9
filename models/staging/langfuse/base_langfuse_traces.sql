{#- One row per raw Langfuse trace, typed, with the metadata keys the
    mapping reads and a rejection reason for a trace it cannot place
    (docs/langfuse.md). -#}
{%- set raw_traces = source('langfuse', 'langfuse_traces') -%}
{%- set column_types = conversation_analytics.source_column_types(raw_traces) -%}
{%- set agent_key = var('langfuse_agent_id_key', 'agent_id') -%}
{%- set channel_key = var('langfuse_channel_key', 'channel') -%}
{%- set outcome_key = var('langfuse_outcome_key', 'outcome') -%}
{%- set metadata_keys = [agent_key, channel_key, outcome_key, 'reason'] | unique | list -%}
{%- set text = conversation_analytics.clean_text -%}
{%- set value = conversation_analytics.json_typed_value -%}
{%- set json = conversation_analytics.metadata_to_json -%}

with

raw_traces as (

    select * from {{ raw_traces }}

),

typed as (

    select
        {{ text('id') }} as trace_id,
        {{ text('session_id') }} as conversation_id,
        {{ text('user_id') }} as user_id,
        {{ text('name') }} as trace_name,
        {{ text('metadata') }} as metadata_text,
        {{ json('metadata', column_types.get('metadata')) }} as metadata_json,
        input is not null as has_input,
        {{ conversation_analytics.timestamp_to_utc(
            'timestamp', column_types.get('timestamp')
        ) }} as started_at,
        {{ conversation_analytics.timestamp_to_utc(
            'loaded_at', column_types.get('loaded_at')
        ) }} as loaded_at
    from raw_traces

),

metadata_picked as (

    -- Metadata that is not a JSON object reads as none.
    select
        *,
        {{ conversation_analytics.json_fields(
            'case when ' ~ conversation_analytics.json_is_object('metadata_json')
            ~ ' then metadata_json end',
            metadata_keys
        ) }} as metadata_fields
    from typed

),

metadata_read as (

    select
        trace_id,
        conversation_id,
        user_id,
        trace_name,
        metadata_text,
        coalesce(
            {{ text(value('metadata_fields', metadata_keys, agent_key, 'string')) }},
            trace_name
        ) as agent_id,
        {{ text(value('metadata_fields', metadata_keys, channel_key, 'string')) }}
            as channel,
        lower({{ text(value('metadata_fields', metadata_keys, outcome_key, 'string')) }})
            as outcome,
        {{ text(value('metadata_fields', metadata_keys, 'reason', 'string')) }}
            as outcome_reason,
        has_input,
        started_at,
        loaded_at
    from metadata_picked

),

validated as (

    select
        *,
        case
            when trace_id is null then 'langfuse_trace_missing_id'
            when conversation_id is null then 'langfuse_trace_missing_session_id'
            when started_at is null then 'langfuse_trace_missing_timestamp'
        end as rejection_reason
    from metadata_read

),

copies_ranked as (

    -- A trace delivered twice is one trace: its first valid copy to land
    -- has copy_rank 1.
    select
        *,
        row_number() over (
            partition by trace_id, rejection_reason
            order by loaded_at nulls last, started_at, metadata_text
        ) as copy_rank
    from validated

)

select * from copies_ranked
