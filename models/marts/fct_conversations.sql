with

conversations as (

    select * from {{ ref('int_conversations_scored') }}

)

select * from conversations
