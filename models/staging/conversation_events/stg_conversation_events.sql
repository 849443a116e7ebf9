{%- set stg_columns = [
    'event_id',
    'conversation_id',
    'user_id',
    'event_type',
    'channel',
    'agent_id',
    'model',
    'tool_name',
    'status',
    'reason',
    'rating',
    'turn',
    'message_length',
    'response_length',
    'input_tokens',
    'output_tokens',
    'total_turns',
    'abandoned_at_turn',
    'similarity_to_previous',
    'latency_ms',
    'is_exact_repeat',
    'has_invalid_metadata',
    'event_at',
    'is_rephrase',
] -%}

{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    indexes=[
        {'columns': ['event_id'], 'unique': true},
        {'columns': ['conversation_id']},
        {'columns': ['staged_at']},
    ] if target.type == 'postgres' else [],
) }}

with

valid_events as (

    select raw_events.* from {{ ref('base_conversation_events') }} as raw_events
    where
        raw_events.rejection_reason is null
    {% if is_incremental() -%}
    -- New ids, however late they arrive, and the copies in the lookback
    -- window, which may be earlier copies of ids already staged.
    and (
        raw_events.event_at >= {{ conversation_analytics.lookback_cutoff() }}
        or not exists (
            select 1 from {{ this }} as staged
            where staged.event_id = raw_events.event_id
        )
    )
    {%- endif %}

),

copies_ranked as (

    -- At-least-once delivery: copies of one id are one event. Keep the
    -- earliest; the remaining keys make the choice total and repeatable.
    select
        *,
        row_number() over (
            partition by event_id
            order by
                event_at,
                conversation_id,
                event_type,
                user_id nulls last,
                metadata_text nulls last
        ) as copy_rank
    from valid_events

),

deduplicated as (

    select * from copies_ranked
    where copy_rank = 1

),

metadata_checked as (

    select
        event_id,
        conversation_id,
        user_id,
        event_type,
        event_at,
        -- Present but not a JSON object (unparseable text, an array, a
        -- scalar). A JSON null counts as absent, like SQL null.
        coalesce(
            metadata_text is not null
            and metadata_text != 'null'
            and not coalesce({{ conversation_analytics.json_is_object('metadata_json') }}, false),
            false
        ) as has_invalid_metadata,
        case
            when {{ conversation_analytics.json_is_object('metadata_json') }}
                then metadata_json
        end as metadata_object
    from deduplicated

),

metadata_extracted as (

    {%- set get = conversation_analytics.json_get_text %}
    {%- set text = conversation_analytics.clean_text %}
    {%- set integer = conversation_analytics.safe_cast_integer %}
    {%- set double = conversation_analytics.safe_cast_double %}

    select
        event_id,
        conversation_id,
        user_id,
        event_type,
        {{ text(get('metadata_object', 'channel')) }} as channel,
        {{ text(get('metadata_object', 'agent_id')) }} as agent_id,
        {{ text(get('metadata_object', 'model')) }} as model,
        {{ text(get('metadata_object', 'tool_name')) }} as tool_name,
        lower({{ text(get('metadata_object', 'status')) }}) as status,
        {{ text(get('metadata_object', 'reason')) }} as reason,
        lower({{ text(get('metadata_object', 'rating')) }}) as rating,
        {{ integer(text(get('metadata_object', 'turn'))) }} as turn,
        {{ integer(text(get('metadata_object', 'message_length'))) }} as message_length,
        {{ integer(text(get('metadata_object', 'response_length'))) }} as response_length,
        {{ integer(text(get('metadata_object', 'input_tokens'))) }} as input_tokens,
        {{ integer(text(get('metadata_object', 'output_tokens'))) }} as output_tokens,
        {{ integer(text(get('metadata_object', 'total_turns'))) }} as total_turns,
        {{ integer(text(get('metadata_object', 'abandoned_at_turn'))) }} as abandoned_at_turn,
        {{ double(text(get('metadata_object', 'similarity_to_previous'))) }}
            as similarity_to_previous,
        {{ double(text(get('metadata_object', 'latency_ms'))) }} as latency_ms,
        {{ conversation_analytics.safe_cast_boolean(
            text(get('metadata_object', 'is_exact_repeat'))
        ) }} as is_exact_repeat,
        has_invalid_metadata,
        event_at
    from metadata_checked

),

rephrases_flagged as (

    -- A rephrase: a user message close to the previous one but not the
    -- same words (SPEC section 3, rephrase_count).
    select
        *,
        coalesce(
            event_type = 'user_message'
            and similarity_to_previous >= {{ var('rephrase_similarity_threshold', 0.85) }}
            and not coalesce(is_exact_repeat, false),
            false
        ) as is_rephrase
    from metadata_extracted

),

{%- if is_incremental() %}

copies_already_staged as (

    select staged.* from {{ this }} as staged
    where staged.event_id in (select flagged.event_id from rephrases_flagged as flagged)

),

copies_compared as (

    -- A copy staged by an earlier run competes with the new ones under the
    -- same order; on a full tie the staged copy stays, so reruns never flip.
    select
        candidates.*,
        row_number() over (
            partition by candidates.event_id
            order by
                candidates.event_at asc,
                candidates.conversation_id asc,
                candidates.event_type asc,
                candidates.user_id asc nulls last,
                candidates.is_already_staged desc
        ) as staged_rank
    from (
        select
            {{ stg_columns | join(', ') }},
            0 as is_already_staged
        from rephrases_flagged
        union all
        select
            {{ stg_columns | join(', ') }},
            1 as is_already_staged
        from copies_already_staged
    ) as candidates

),

new_events as (

    -- Only events that are new or replace a staged copy are written.
    select {{ stg_columns | join(', ') }}
    from copies_compared
    where staged_rank = 1 and is_already_staged = 0

),

{%- else %}

new_events as (

    select * from rephrases_flagged

),

{%- endif %}

events_stamped as (

    select
        *,
        {{ conversation_analytics.run_started_timestamp() }} as staged_at
    from new_events

)

select * from events_stamped
