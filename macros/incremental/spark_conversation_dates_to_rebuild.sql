{#- Spark only: a query of the days fct_conversations rebuilds on an
    incremental run: the start days of the conversations rolled up again
    since its last run, before and after the change (one whose every event
    moved to another conversation leaves its old day here), and the days
    that hold an open conversation. -#}
{% macro spark_conversation_dates_to_rebuild() -%}
    select scored.started_date
    from {{ ref('int_conversations_scored') }} as scored
    where scored.staged_batch > {{ conversation_analytics.last_staged_batch(this) }}
    union
    select stored.started_date
    from {{ this }} as stored
    where
        stored.conversation_id in ({{ conversation_analytics.changed_conversations() }})
        or stored.outcome = 'in_progress'
{%- endmacro %}
