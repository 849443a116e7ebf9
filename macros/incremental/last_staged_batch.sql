{#- The watermark an incremental model has processed up to: the latest
    staging batch number (`staged_batch`) in its own table, 0 when it is
    empty. Batch numbers come from staging's own table, never from a
    clock, so a run from a host whose clock is wrong cannot skip events.
    Read once when the query is compiled and written into it as a number:
    a planner that sees `staged_batch > 41` estimates the new rows from its
    statistics (PostgreSQL took a third of the table for a subquery, then
    merge-joined all of staging and compiled the query with JIT), and
    DuckDB skips the row groups of older batches. dbt compiles the
    model's query, and renders its pre-hook, before the pre-hook deletes
    anything, so both read the same number. -#}
{% macro last_staged_batch(relation=this) -%}
    {%- if execute -%}
        {%- set processed = run_query(
            'select coalesce(max(staged_batch), 0) from ' ~ relation
        ).columns[0].values()[0] -%}
        {{- processed | int -}}
    {%- else -%}
        0
    {%- endif -%}
{%- endmacro %}
