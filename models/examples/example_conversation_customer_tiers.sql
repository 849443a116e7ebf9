{#- The worked example of docs/extending.md: a metadata key the tracker
    started sending (`customer_tier` on `started` events), read with the
    project's JSON macros, rolled up to the conversation and exposed to the
    semantic layer as a dimension. Built only with var('enable_examples'). -#}
with

valid_events as (

    select * from {{ ref('base_conversation_events') }}
    where rejection_reason is null

),

conversations as (

    select * from {{ ref('fct_conversations') }}

),

tiers_read as (

    -- Only JSON objects have keys; anything else reads as null, as in
    -- stg_conversation_events.
    select
        conversation_id,
        event_at,
        lower({{ conversation_analytics.clean_text(
            conversation_analytics.json_get_text('metadata_json', 'customer_tier')
        ) }}) as customer_tier
    from valid_events
    where {{ conversation_analytics.json_is_object('metadata_json') }}

),

tiers_ranked as (

    -- The tier of the earliest event that carries one, like agent_id.
    select
        conversation_id,
        customer_tier,
        row_number() over (
            partition by conversation_id
            order by event_at, customer_tier
        ) as tier_rank
    from tiers_read
    where customer_tier is not null

),

conversations_tiered as (

    select
        conversations.conversation_id,
        coalesce(tiers_ranked.customer_tier, 'unknown') as customer_tier,
        conversations.user_turns,
        conversations.was_completed,
        conversations.started_at
    from conversations
    left join tiers_ranked
        on
            conversations.conversation_id = tiers_ranked.conversation_id
            and tiers_ranked.tier_rank = 1

)

select * from conversations_tiered
