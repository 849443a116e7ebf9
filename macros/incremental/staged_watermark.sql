{#- The latest staging batch in fct_conversations: what a mart built now
    has seen. Marts store it as their own `staged_batch` watermark. -#}
{% macro staged_watermark() -%}
    (select max(staged_batch) from {{ ref('fct_conversations') }})
{%- endmacro %}
