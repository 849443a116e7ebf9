{#- How agent_alert_history keeps its record, as config: incremental and
    never rebuilt (full_refresh=false). On DuckDB and PostgreSQL keyed by
    week and agent (delete+insert). On Spark, whose plain Parquet tables
    have no DELETE, partitioned by `week_start`: every run writes every
    recorded week again (insert_overwrite, dynamic partitions, which may
    read the table they write), and a record never loses a row. -#}
{% macro alert_history_incremental_config() -%}
    {{ return(adapter.dispatch('alert_history_incremental_config', 'conversation_analytics')()) }}
{%- endmacro %}

{% macro default__alert_history_incremental_config() -%}
    {{ return({
        'materialized': 'incremental',
        'unique_key': ['week_start', 'agent_id'],
        'incremental_strategy': 'delete+insert',
        'on_schema_change': 'fail',
        'full_refresh': false,
    }) }}
{%- endmacro %}

{% macro spark__alert_history_incremental_config() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': ['week_start'],
        'on_schema_change': 'fail',
        'full_refresh': false,
    }) }}
{%- endmacro %}
