{#- The materialization of the trace mappings' event models
    (base_otel_conversation_events, base_langfuse_conversation_events): a
    view, which staging and the quarantine read, where the warehouse plans
    a view inside the query that reads it (DuckDB, PostgreSQL); a table on
    Spark, whose planner would otherwise expand the mapping's whole plan
    inside staging's and the quarantine's, past a driver's memory. -#}
{% macro mapping_materialization() -%}
    {{ return(adapter.dispatch('mapping_materialization', 'conversation_analytics')()) }}
{%- endmacro %}

{% macro default__mapping_materialization() -%}
    {{ return('view') }}
{%- endmacro %}

{% macro spark__mapping_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
