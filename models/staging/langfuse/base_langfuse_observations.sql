{#- One row per raw Langfuse observation, typed, with its trace's
    conversation and a rejection reason for an observation the mapping
    cannot place (docs/langfuse.md). -#}
{%- set raw_observations = source('langfuse', 'langfuse_observations') -%}
{%- set column_types = conversation_analytics.source_column_types(raw_observations) -%}
{%- set usage_keys = ['input', 'output'] -%}
{%- set known_types = [
    'SPAN', 'GENERATION', 'EVENT', 'AGENT', 'TOOL', 'CHAIN', 'RETRIEVER',
    'EVALUATOR', 'EMBEDDING', 'GUARDRAIL',
] -%}
{%- set text = conversation_analytics.clean_text -%}
{%- set integer = conversation_analytics.safe_cast_integer -%}
{%- set value = conversation_analytics.json_typed_value -%}
{%- set json = conversation_analytics.metadata_to_json -%}
{%- set timestamp = conversation_analytics.timestamp_to_utc -%}

with

raw_observations as (

    select * from {{ raw_observations }}

),

traces_deduplicated as (

    -- Each valid trace once (base_langfuse_traces ranks the copies).
    select
        trace_id,
        conversation_id,
        loaded_at
    from {{ ref('base_langfuse_traces') }}
    where rejection_reason is null and copy_rank = 1

),

typed as (

    select
        {{ text('id') }} as observation_id,
        {{ text('trace_id') }} as trace_id,
        {{ text('parent_observation_id') }} as parent_observation_id,
        upper({{ text('type') }}) as observation_type,
        {{ text('name') }} as observation_name,
        {{ text('model') }} as model,
        upper({{ text('level') }}) as observation_level,
        {{ text('status_message') }} as status_message,
        {{ text('metadata') }} as metadata_text,
        {{ json('usage_details', column_types.get('usage_details')) }} as usage_json,
        {{ timestamp('start_time', column_types.get('start_time')) }} as started_at,
        {{ timestamp('end_time', column_types.get('end_time')) }} as ended_at,
        {{ timestamp('loaded_at', column_types.get('loaded_at')) }} as loaded_at
    from raw_observations

),

usage_picked as (

    select
        *,
        {{ conversation_analytics.json_fields(
            'case when ' ~ conversation_analytics.json_is_object('usage_json')
            ~ ' then usage_json end',
            usage_keys
        ) }} as usage_fields
    from typed

),

observations_read as (

    select
        usage_picked.observation_id,
        usage_picked.trace_id,
        usage_picked.parent_observation_id,
        usage_picked.observation_type,
        usage_picked.observation_name,
        usage_picked.model,
        usage_picked.observation_level,
        usage_picked.status_message,
        usage_picked.metadata_text,
        traces_deduplicated.conversation_id,
        {{ integer(value('usage_picked.usage_fields', usage_keys, 'input', 'number')) }}
            as input_tokens,
        {{ integer(value('usage_picked.usage_fields', usage_keys, 'output', 'number')) }}
            as output_tokens,
        coalesce(usage_picked.observation_level = 'ERROR', false) as is_error,
        usage_picked.started_at,
        usage_picked.ended_at,
        usage_picked.loaded_at,
        -- The later of the observation's and its trace's landing, so an
        -- observation staged before its trace arrived is read again.
        case
            when traces_deduplicated.loaded_at > usage_picked.loaded_at
                then traces_deduplicated.loaded_at
            else usage_picked.loaded_at
        end as placed_loaded_at
    from usage_picked
    left join traces_deduplicated
        on usage_picked.trace_id = traces_deduplicated.trace_id

),

validated as (

    select
        *,
        case
            when observation_id is null or trace_id is null
                then 'langfuse_observation_missing_id'
            when started_at is null then 'langfuse_observation_missing_start_time'
            when
                observation_type is null
                or observation_type not in (
                    {%- for known_type in known_types %}
                    '{{ known_type }}'{{ ',' if not loop.last }}
                    {%- endfor %}
                )
                then 'langfuse_observation_unknown_type'
            -- Its trace is missing or names no session (docs/langfuse.md).
            when conversation_id is null then 'langfuse_observation_without_session'
        end as rejection_reason
    from observations_read

)

select * from validated
