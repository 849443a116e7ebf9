{{ config(
    materialized='incremental',
    unique_key='conversation_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    indexes=[
        {'columns': ['conversation_id'], 'unique': true},
        {'columns': ['started_date']},
    ] if target.type == 'postgres' else [],
) }}

with

conversations as (

    select * from {{ ref('int_conversations_scored') }}
    {% if is_incremental() -%}
    -- Conversations rolled up again since the last run, and the open ones,
    -- which time out as the as-of time moves on.
    where
        staged_at > {{ conversation_analytics.last_staged_at(this) }}
        or conversation_id in (
            select open_conversations.conversation_id
            from {{ this }} as open_conversations
            where open_conversations.outcome = 'in_progress'
        )
    {%- endif %}

)

select * from conversations
