with recursive

windowed_conversations as (

    select * from {{ ref('int_conversations_in_summary_windows') }}

),

windows_counted as (

    select
        window_days,
        count(conversation_id) as window_conversations,
        max(user_turns) as max_user_turns
    from windowed_conversations
    group by window_days

),

turns_enumerated as (

    -- Every turn from 0 to the window's longest conversation.
    select
        window_days,
        cast(0 as {{ dbt.type_bigint() }}) as turn
    from windows_counted
    where max_user_turns is not null

    union all

    select
        turns_enumerated.window_days,
        turns_enumerated.turn + 1 as turn
    from turns_enumerated
    inner join windows_counted
        on turns_enumerated.window_days = windows_counted.window_days
    where turns_enumerated.turn < windows_counted.max_user_turns

),

conversations_by_length as (

    select
        window_days,
        user_turns,
        count(*) as conversation_count
    from windowed_conversations
    where conversation_id is not null
    group by window_days, user_turns

),

abandons_counted as (

    select
        window_days,
        abandoned_at_turn as turn,
        count(*) as abandon_count
    from windowed_conversations
    where was_abandoned
    group by window_days, abandoned_at_turn

),

turns_listed as (

    -- The enumerated turns, plus any abandon turn beyond the longest
    -- conversation (an abandoned_at_turn from metadata can exceed the
    -- user messages that arrived).
    select
        window_days,
        turn
    from turns_enumerated
    union
    select
        window_days,
        turn
    from abandons_counted

),

turns_reached as (

    select
        turns_listed.window_days,
        turns_listed.turn,
        cast(
            coalesce(sum(conversations_by_length.conversation_count), 0)
            as {{ dbt.type_bigint() }}
        ) as conversations_reaching_turn
    from turns_listed
    left join conversations_by_length
        on
            turns_listed.window_days = conversations_by_length.window_days
            and turns_listed.turn <= conversations_by_length.user_turns
    group by turns_listed.window_days, turns_listed.turn

),

turns_summarised as (

    -- Of the window's conversations: how many got at least `turn` user
    -- turns, and how many were abandoned at `turn`.
    select
        turns_reached.window_days,
        turns_reached.turn,
        windows_counted.window_conversations,
        turns_reached.conversations_reaching_turn,
        {{ conversation_analytics.round_half_away(
            conversation_analytics.percentage(
                'turns_reached.conversations_reaching_turn', 'windows_counted.window_conversations'
            ),
            1
        ) }} as reaching_turn_share,
        coalesce(abandons_counted.abandon_count, 0) as abandon_count,
        {{ conversation_analytics.round_half_away(
            conversation_analytics.percentage(
                'coalesce(abandons_counted.abandon_count, 0)',
                'windows_counted.window_conversations'
            ),
            1
        ) }} as abandon_share
    from turns_reached
    inner join windows_counted
        on turns_reached.window_days = windows_counted.window_days
    left join abandons_counted
        on
            turns_reached.window_days = abandons_counted.window_days
            and turns_reached.turn = abandons_counted.turn

)

select * from turns_summarised
