{#- The as-of time (UTC) of the timeout rule and the trailing windows:
    var('as_of') when set, else the latest staged event, read as the
    latest `last_event_at` of the conversations (one row each, so a tenth
    of the staged rows to scan; every staged event belongs to one). -#}
{% macro as_of_timestamp(conversations_relation) -%}
    {%- if var('as_of', none) -%}
        cast('{{ var("as_of") }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        (
            select max(as_of_conversations.last_event_at)
            from {{ conversations_relation }} as as_of_conversations
        )
    {%- endif -%}
{%- endmacro %}
