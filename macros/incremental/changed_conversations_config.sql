{#- How a model set up by incremental_by_changed_conversations writes an
    incremental run, as config. On DuckDB and PostgreSQL: keyed by
    `conversation_id` (delete+insert), with `indexes` on PostgreSQL, and the
    pre-hook delete_changed_conversations, which empties the changed
    conversations first, so one that lost all its events is gone. On Spark,
    whose plain Parquet tables have no DELETE: partitioned by
    `staged_batch`, a run writes the conversations it computes as its
    batch's partition (insert_overwrite, dynamic partitions), and the
    post-hook spark_drop_rewritten_conversations takes the changed
    conversations out of the older partitions. -#}
{% macro changed_conversations_config(indexes=[]) -%}
    {{ return(adapter.dispatch('changed_conversations_config', 'conversation_analytics')(indexes)) }}
{%- endmacro %}

{% macro default__changed_conversations_config(indexes=[]) -%}
    {{ return({
        'materialized': 'incremental',
        'unique_key': 'conversation_id',
        'incremental_strategy': 'delete+insert',
        'on_schema_change': 'fail',
        'indexes': indexes if target.type == 'postgres' else [],
        'pre_hook': '{{ conversation_analytics.delete_changed_conversations() }}',
    }) }}
{%- endmacro %}

{% macro spark__changed_conversations_config(indexes=[]) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': ['staged_batch'],
        'on_schema_change': 'fail',
        'post_hook': '{{ conversation_analytics.spark_drop_rewritten_conversations() }}',
    }) }}
{%- endmacro %}
