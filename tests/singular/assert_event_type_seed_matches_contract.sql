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

    select event_type, 'only in the seed' as problem from seeded
    where event_type not in (select event_type from validated)
    union all
    select event_type, 'only in macro event_types' as problem from validated
    where event_type not in (select event_type from seeded)

)

select * from differences
