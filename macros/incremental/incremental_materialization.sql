{#- The materialization of the incremental models: `incremental` where the
    warehouse can delete the rows a run replaces (DuckDB, PostgreSQL);
    `table` on Spark, whose plain Parquet tables have no DELETE, so each run
    rebuilds them whole: exact, at the cost of a full build. -#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization', 'conversation_analytics')()) }}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
