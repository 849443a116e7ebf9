{#- The latest staged_at of the conversations in fct_conversations, which is
    the latest of the staged events: what a mart built now has seen. Marts
    store it as their own `staged_at` watermark. -#}
{% macro staged_watermark() -%}
    (select max(staged_at) from {{ ref('fct_conversations') }})
{%- endmacro %}
