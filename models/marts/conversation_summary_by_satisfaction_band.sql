with

windowed_conversations as (

    select * from {{ ref('int_conversations_in_summary_windows') }}

),

windows_counted as (

    select
        window_days,
        count(conversation_id) as window_conversations
    from windowed_conversations
    group by window_days

),

bands_listed as (

    -- The ten bands of width 0.1; band 9 also holds the score 1.
    {% for band in range(10) -%}
    select {{ band }} as satisfaction_band
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

conversations_banded as (

    select
        window_days,
        conversation_id,
        least(
            greatest(cast(floor(satisfaction_score * 10) as integer), 0), 9
        ) as satisfaction_band
    from windowed_conversations
    where conversation_id is not null

),

bands_counted as (

    select
        windows_counted.window_days,
        bands_listed.satisfaction_band,
        cast(bands_listed.satisfaction_band as {{ conversation_analytics.type_double() }}) / 10
            as band_lower_score,
        cast(bands_listed.satisfaction_band + 1 as {{ conversation_analytics.type_double() }}) / 10
            as band_upper_score,
        count(conversations_banded.conversation_id) as total_conversations,
        {{ conversation_analytics.round_half_away(
            conversation_analytics.percentage(
                'count(conversations_banded.conversation_id)', 'windows_counted.window_conversations'
            ),
            1
        ) }} as conversation_share
    from windows_counted
    cross join bands_listed
    left join conversations_banded
        on
            windows_counted.window_days = conversations_banded.window_days
            and bands_listed.satisfaction_band = conversations_banded.satisfaction_band
    group by
        windows_counted.window_days,
        windows_counted.window_conversations,
        bands_listed.satisfaction_band

)

select * from bands_counted
