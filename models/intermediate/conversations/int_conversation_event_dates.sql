with

events as (

    -- Incremental runs take every event of the conversations changed since
    -- the last run, so each is listed again from all its events.
    select * from {{ ref('stg_conversation_events') }}
    {{ conversation_analytics.incremental_by_changed_conversations(indexes=[
        {'columns': ['conversation_id']},
        {'columns': ['staged_batch']},
    ]) }}

),

replaced_copies as (

    -- Where the events that changed conversation or time since the last
    -- run were before: the day a conversation started on may be one of
    -- them, and that day has to be rebuilt too.
    select
        moved.replaced_conversation_id as conversation_id,
        moved.replaced_event_at as event_at
    from {{ ref('stg_conversation_events') }} as moved
    where
        moved.replaced_conversation_id is not null
        {%- if is_incremental() %}
        and moved.staged_batch > {{ conversation_analytics.last_staged_batch(this) }}
        {%- else %}
        and 1 = 0
        {%- endif %}

),

event_dates_listed as (

    -- Every day a changed conversation has, or had until this run, an
    -- event on, stamped with this run's batch.
    select
        dated.conversation_id,
        dated.event_date,
        {{ conversation_analytics.current_staged_batch() }} as staged_batch
    from (
        select
            conversation_id,
            cast(event_at as date) as event_date
        from events
        union
        select
            conversation_id,
            cast(event_at as date) as event_date
        from replaced_copies
    ) as dated

)

select * from event_dates_listed
