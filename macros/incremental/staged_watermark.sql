{#- The latest staged_at in staging: what a mart built now has seen. Marts
    store it as their own `staged_at` watermark. -#}
{% macro staged_watermark() -%}
    (select max(staged_at) from {{ ref('stg_conversation_events') }})
{%- endmacro %}
