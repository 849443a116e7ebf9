with

tool_calls as (

    select
        conversation_id,
        coalesce(tool_name, 'unknown') as tool_name,
        status
    from {{ ref('stg_conversation_events') }}
    where event_type = 'tool_called'

),

calls_rolled_up as (

    select
        conversation_id,
        tool_name,
        count(*) as call_count,
        count(case when status = 'error' then 1 end) as error_count
    from tool_calls
    group by conversation_id, tool_name

)

select * from calls_rolled_up
