{#- How a model set up by incremental_by_touched_periods writes an
    incremental run, as config. On DuckDB and PostgreSQL: keyed by
    `period_column` (delete+insert), with the pre-hook
    delete_touched_periods, which deletes the touched periods' rows. On
    Spark, whose plain Parquet tables have no DELETE: partitioned by
    `period_column`, with the pre-hook spark_drop_touched_periods, which
    drops the touched periods' partitions, and a run overwrites the
    partitions of the periods it writes (insert_overwrite, dynamic
    partitions). -#}
{% macro touched_periods_config(period_column, periods_macro) -%}
    {{ return(adapter.dispatch('touched_periods_config', 'conversation_analytics')(
        period_column, periods_macro
    )) }}
{%- endmacro %}

{% macro default__touched_periods_config(period_column, periods_macro) -%}
    {{ return({
        'materialized': 'incremental',
        'unique_key': period_column,
        'incremental_strategy': 'delete+insert',
        'on_schema_change': 'fail',
        'pre_hook': "{{ conversation_analytics.delete_touched_periods('"
            ~ period_column ~ "', '" ~ periods_macro ~ "') }}",
    }) }}
{%- endmacro %}

{% macro spark__touched_periods_config(period_column, periods_macro) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': [period_column],
        'on_schema_change': 'fail',
        'pre_hook': "{{ conversation_analytics.spark_drop_touched_periods('"
            ~ period_column ~ "', '" ~ periods_macro ~ "') }}",
    }) }}
{%- endmacro %}
