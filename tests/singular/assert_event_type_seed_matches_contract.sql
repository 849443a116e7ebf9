-- The seed that documents the event types and the list staging validates
-- against (macro event_types) name the same types.

with

seeded as (

    select event_type from {{ ref('conversation_event_types') }}

),

validated as (

    {% for event_type in conversation_analytics.event_types() -%}
    select '{{ event_type }}' as event_type
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

differences as (

    select
        seeded.event_type,
        'only in the seed' as problem
    from seeded
    left join validated
        on seeded.event_type = validated.event_type
    where validated.event_type is null

    union all

    select
        validated.event_type,
        'only in macro event_types' as problem
    from validated
    left join seeded
        on validated.event_type = seeded.event_type
    where seeded.event_type is null

)

select * from differences
