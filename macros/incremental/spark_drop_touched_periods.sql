{#- Spark's pre-hook of the marts set up by incremental_by_touched_periods
    (spark__touched_periods_config): on an incremental run, drop the
    partitions of the periods the run rebuilds before it writes them, so a
    period that lost all its rows does not keep stale ones (an overwrite
    that writes no row leaves its partition as it was). -#}
{% macro spark_drop_touched_periods(period_column, periods_macro) -%}
    {%- if execute and is_incremental() -%}
        {%- do conversation_analytics.spark_drop_partitions(
            period_column, conversation_analytics.touched_periods(periods_macro)
        ) -%}
    {%- endif -%}
    select 1
{%- endmacro %}
