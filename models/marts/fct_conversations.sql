{{ config(**conversation_analytics.fct_conversations_incremental_config()) }}

-- depends_on: {{ ref('int_events_rolled_up_to_conversations') }}
-- depends_on: {{ ref('stg_conversation_events') }}
-- (read by the pre-hooks, delete_vanished_conversations and, on Spark,
-- spark_drop_conversation_dates)

with

conversations as (

    select * from {{ ref('int_conversations_scored') }}
    {% if is_incremental() -%}
    -- Conversations rolled up again since the last run, and the open ones,
    -- which time out as the as-of time moves on.
    where {{ conversation_analytics.fct_conversations_to_rebuild() }}
    {%- endif %}

)

select * from conversations
