{#- One row per raw Langfuse score, typed, with its conversation (its own
    sessionId, else its trace's) and a rejection reason for a score the
    mapping cannot place (docs/langfuse.md). -#}
{%- set raw_scores = source('langfuse', 'langfuse_scores') -%}
{%- set column_types = conversation_analytics.source_column_types(raw_scores) -%}
{%- set text = conversation_analytics.clean_text -%}

with

raw_scores as (

    select * from {{ raw_scores }}

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
        {{ text('id') }} as score_id,
        {{ text('trace_id') }} as trace_id,
        {{ text('observation_id') }} as observation_id,
        {{ text('session_id') }} as session_id,
        {{ text('name') }} as score_name,
        upper({{ text('data_type') }}) as data_type,
        lower({{ text('string_value') }}) as string_value,
        {{ dbt.safe_cast(text('value'), dbt.type_float()) }} as numeric_value,
        {{ text('comment') }} as score_comment,
        {{ text('metadata') }} as metadata_text,
        {{ conversation_analytics.timestamp_to_utc(
            'timestamp', column_types.get('timestamp')
        ) }} as scored_at,
        {{ conversation_analytics.timestamp_to_utc(
            'loaded_at', column_types.get('loaded_at')
        ) }} as loaded_at
    from raw_scores

),

scores_read as (

    select
        typed.score_id,
        typed.trace_id,
        typed.observation_id,
        typed.score_name,
        typed.data_type,
        typed.string_value,
        typed.numeric_value,
        typed.score_comment,
        typed.metadata_text,
        coalesce(typed.session_id, traces_deduplicated.conversation_id)
            as conversation_id,
        typed.scored_at,
        typed.loaded_at,
        case
            when traces_deduplicated.loaded_at > typed.loaded_at
                then traces_deduplicated.loaded_at
            else typed.loaded_at
        end as placed_loaded_at
    from typed
    left join traces_deduplicated
        on typed.trace_id = traces_deduplicated.trace_id

),

validated as (

    select
        *,
        case
            when score_id is null then 'langfuse_score_missing_id'
            when scored_at is null then 'langfuse_score_missing_timestamp'
            -- Neither a session of its own nor a trace that names one.
            when conversation_id is null then 'langfuse_score_without_session'
        end as rejection_reason
    from scores_read

)

select * from validated
