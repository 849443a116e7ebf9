with

valid_events as (

    select * from {{ ref('base_conversation_events') }}
    where rejection_reason is null

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

)

select * from rephrases_flagged
