{#- Spark's post-hook of staging (spark__staging_incremental_config): the
    newest batch partition may hold copies that replace staged ones (an
    earlier copy of an id, delivered late). Their older rows go
    (spark_drop_from_older_batches). Runs the statements itself and renders
    a no-op; nothing to do after a full build, whose one batch replaces nothing. Only the newest batch is
    looked at: should this hook fail after its batch was written, later
    runs do not revisit that batch, the `unique` test on event_id fails,
    and a full refresh of staging repairs it. -#}
{% macro spark_drop_replaced_copies() -%}
    {%- if execute -%}
        {%- set newest = run_query(
            'select max(staged_batch) from ' ~ this
        ).columns[0].values()[0] -%}
        {%- if newest is not none -%}
            {%- set replaced_ids -%}
                select newest.event_id from {{ this }} as newest
                where newest.staged_batch = {{ newest | int }}
            {%- endset -%}
            {%- do conversation_analytics.spark_drop_from_older_batches(
                newest, 'event_id', replaced_ids
            ) -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}
