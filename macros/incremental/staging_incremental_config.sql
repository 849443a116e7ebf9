{#- How staging (stg_conversation_events) writes an incremental run, as
    config: on DuckDB and PostgreSQL, delete+insert by event_id (a copy
    that replaces a staged one takes its row). On Spark, whose plain
    Parquet tables have no DELETE: the table is partitioned by
    staged_batch, a run writes its batch as a new partition
    (insert_overwrite, dynamic partitions), and the post-hook
    spark_drop_replaced_copies takes the copies that batch replaced out of
    the older partitions. -#}
{% macro staging_incremental_config() -%}
    {{ return(adapter.dispatch('staging_incremental_config', 'conversation_analytics')()) }}
{%- endmacro %}

{% macro default__staging_incremental_config() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
    }) }}
{%- endmacro %}

{% macro spark__staging_incremental_config() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': ['staged_batch'],
        'post_hook': ['{{ conversation_analytics.spark_drop_replaced_copies() }}'],
    }) }}
{%- endmacro %}
