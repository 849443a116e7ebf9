{#- The as-of time (UTC) of the timeout rule and the trailing windows:
    var('as_of') when set, else the latest staged event. -#}
{% macro as_of_timestamp(events_relation) -%}
    {%- if var('as_of', none) -%}
        cast('{{ var("as_of") }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        (select max(event_at) from {{ events_relation }})
    {%- endif -%}
{%- endmacro %}
