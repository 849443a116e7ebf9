{#- The metadata keys of the event contract (docs/event-contract.md) that
    staging reads. -#}
{%- set metadata_keys = [
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
] -%}

{#- The columns of this model, in order (staged_at comes last). -#}
{%- set stg_columns = (
    ['event_id', 'conversation_id', 'user_id', 'event_type']
    + metadata_keys
    + ['has_invalid_metadata', 'event_at', 'is_rephrase']
) -%}

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
            and {{ conversation_analytics.json_type_name('metadata_json') }} is distinct from 'null'
            and not coalesce({{ conversation_analytics.json_is_object('metadata_json') }}, false),
            false
        ) as has_invalid_metadata,
        {{ conversation_analytics.json_fields(
            'case when ' ~ conversation_analytics.json_is_object('metadata_json')
            ~ ' then metadata_json end',
            metadata_keys
        ) }} as metadata_fields
    from deduplicated

),

metadata_extracted as (

    -- Each key reads as null unless its value has the contract's JSON type
    -- (docs/event-contract.md): "turn": "three" or "agent_id": 42 are null.
    {%- set text = conversation_analytics.clean_text %}
    {%- set integer = conversation_analytics.safe_cast_integer %}
    {%- set double = conversation_analytics.safe_cast_double %}
    {%- set boolean = conversation_analytics.safe_cast_boolean %}
    {%- set value = conversation_analytics.json_typed_value %}
    {%- set fields = 'metadata_fields' %}

    select
        event_id,
        conversation_id,
        user_id,
        event_type,
        {{ text(value(fields, metadata_keys, 'channel', 'string')) }} as channel,
        {{ text(value(fields, metadata_keys, 'agent_id', 'string')) }} as agent_id,
        {{ text(value(fields, metadata_keys, 'model', 'string')) }} as model,
        {{ text(value(fields, metadata_keys, 'tool_name', 'string')) }} as tool_name,
        lower({{ text(value(fields, metadata_keys, 'status', 'string')) }}) as status,
        {{ text(value(fields, metadata_keys, 'reason', 'string')) }} as reason,
        lower({{ text(value(fields, metadata_keys, 'rating', 'string')) }}) as rating,
        {{ integer(value(fields, metadata_keys, 'turn', 'number')) }} as turn,
        {{ integer(value(fields, metadata_keys, 'message_length', 'number')) }} as message_length,
        {{ integer(value(fields, metadata_keys, 'response_length', 'number')) }} as response_length,
        {{ integer(value(fields, metadata_keys, 'input_tokens', 'number')) }} as input_tokens,
        {{ integer(value(fields, metadata_keys, 'output_tokens', 'number')) }} as output_tokens,
        {{ integer(value(fields, metadata_keys, 'total_turns', 'number')) }} as total_turns,
        {{ integer(value(fields, metadata_keys, 'abandoned_at_turn', 'number')) }}
            as abandoned_at_turn,
        {{ double(value(fields, metadata_keys, 'similarity_to_previous', 'number')) }}
            as similarity_to_previous,
        {{ double(value(fields, metadata_keys, 'latency_ms', 'number')) }} as latency_ms,
        {{ boolean(value(fields, metadata_keys, 'is_exact_repeat', 'boolean')) }}
            as is_exact_repeat,
        has_invalid_metadata,
        event_at
    from metadata_checked

),

rephrases_flagged as (

    -- A rephrase: a user message close to the previous one but not the
    -- same words (the rephrase rule, docs/metric-definitions.md).
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
