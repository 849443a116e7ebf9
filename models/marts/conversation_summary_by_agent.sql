with

windowed_conversations as (

    select * from {{ ref('int_conversations_in_summary_windows') }}

),

agents_summarised as (

    -- conversation_summary per agent: the same rate metrics over the
    -- agent's conversations that started in the window.
    select
        window_days,
        agent_id,
        {{ conversation_analytics.conversation_rate_aggregates() }}
    from windowed_conversations
    where conversation_id is not null
    group by window_days, agent_id

)

select * from agents_summarised
