-- Every conversation is counted exactly once in the daily metrics, and the
-- additive measures add up to the conversation facts.

with

conversations as (

    select
        count(*) as conversation_count,
        sum(user_turns) as user_turns,
        count(case when was_completed then 1 end) as completed_count
    from {{ ref('fct_conversations') }}

),

daily as (

    select
        sum(total_conversations) as conversation_count,
        sum(sum_user_turns) as user_turns,
        sum(completed_conversations) as completed_count
    from {{ ref('conversation_metrics_daily') }}

)

select
    conversations.conversation_count,
    daily.conversation_count as daily_conversation_count,
    conversations.user_turns,
    daily.user_turns as daily_user_turns
from conversations
cross join daily
where
    conversations.conversation_count != coalesce(daily.conversation_count, 0)
    or coalesce(conversations.user_turns, 0) != coalesce(daily.user_turns, 0)
    or conversations.completed_count != coalesce(daily.completed_count, 0)
