{#- The latest batch staging has written: the batch an intermediate model
    stamps on every conversation it computes in this run. -#}
{% macro current_staged_batch() -%}
    (select max(staged_batch) from {{ ref('stg_conversation_events') }})
{%- endmacro %}
