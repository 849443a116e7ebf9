{{ config(
    materialized=conversation_analytics.incremental_materialization(),
    unique_key='conversation_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ conversation_analytics.delete_vanished_conversations() }}",
    indexes=[
        {'columns': ['conversation_id'], 'unique': true},
        {'columns': ['started_date']},
    ] if target.type == 'postgres' else [],
) }}

-- depends_on: {{ ref('int_events_rolled_up_to_conversations') }}
-- depends_on: {{ ref('stg_conversation_events') }}
-- (both read by the pre-hook delete_vanished_conversations)

with

conversations as (

    select * from {{ ref('int_conversations_scored') }}
    {% if is_incremental() -%}
    -- Conversations rolled up again since the last run, and the open ones,
    -- which time out as the as-of time moves on.
    where
        staged_batch > {{ conversation_analytics.last_staged_batch(this) }}
        or conversation_id in (
            select open_conversations.conversation_id
            from {{ this }} as open_conversations
            where open_conversations.outcome = 'in_progress'
        )
    {%- endif %}

)

select * from conversations
