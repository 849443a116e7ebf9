{#- How fct_conversations writes an incremental run, as config. On DuckDB
    and PostgreSQL: keyed by `conversation_id` (delete+insert), with
    `indexes` on PostgreSQL and the pre-hook delete_vanished_conversations.
    On Spark, whose plain Parquet tables have no DELETE: partitioned by
    `started_date`; the pre-hook spark_drop_conversation_dates drops the
    days a run rebuilds, and the run writes them
    again whole (insert_overwrite, dynamic partitions). -#}
{% macro fct_conversations_incremental_config() -%}
    {{ return(adapter.dispatch(
        'fct_conversations_incremental_config', 'conversation_analytics'
    )()) }}
{%- endmacro %}

{% macro default__fct_conversations_incremental_config() -%}
    {{ return({
        'materialized': 'incremental',
        'unique_key': 'conversation_id',
        'incremental_strategy': 'delete+insert',
        'on_schema_change': 'fail',
        'pre_hook': '{{ conversation_analytics.delete_vanished_conversations() }}',
        'indexes': [
            {'columns': ['conversation_id'], 'unique': true},
            {'columns': ['started_date']},
        ] if target.type == 'postgres' else [],
    }) }}
{%- endmacro %}

{% macro spark__fct_conversations_incremental_config() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': ['started_date'],
        'on_schema_change': 'fail',
        'pre_hook': '{{ conversation_analytics.spark_drop_conversation_dates() }}',
    }) }}
{%- endmacro %}
