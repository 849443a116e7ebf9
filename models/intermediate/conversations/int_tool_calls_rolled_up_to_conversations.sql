with

events as (

    -- Incremental runs take every event of the conversations changed since
    -- the last run, so each is rolled up again from all its events.
    select * from {{ ref('stg_conversation_events') }}
    {{ conversation_analytics.incremental_by_changed_conversations(indexes=[
        {'columns': ['conversation_id']},
    ]) }}

),

tool_calls as (

    select
        conversation_id,
        coalesce(tool_name, 'unknown') as tool_name,
        status
    from events
    where event_type = 'tool_called'

),

calls_rolled_up as (

    select
        conversation_id,
        tool_name,
        count(*) as call_count,
        count(case when status = 'error' then 1 end) as error_count,
        {{ conversation_analytics.current_staged_batch() }} as staged_batch
    from tool_calls
    group by conversation_id, tool_name

)

select * from calls_rolled_up
