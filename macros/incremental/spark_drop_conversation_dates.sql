{#- Spark's pre-hook of fct_conversations: on an incremental run, drop the
    partitions of the days it rebuilds (spark_conversation_dates_to_rebuild),
    so a day left with no conversation keeps no stale row. -#}
{% macro spark_drop_conversation_dates() -%}
    {%- if execute and is_incremental() -%}
        {%- do conversation_analytics.spark_drop_partitions(
            'started_date', conversation_analytics.spark_conversation_dates_to_rebuild()
        ) -%}
    {%- endif -%}
    select 1
{%- endmacro %}
