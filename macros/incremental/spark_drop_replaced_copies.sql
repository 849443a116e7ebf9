{#- Spark's post-hook of staging (spark__staging_incremental_config): the
    newest batch partition may hold copies that replace staged ones (an
    earlier copy of an id, delivered late). Their older rows go: each older
    batch that holds one is written again without it (insert overwrite of
    that partition, which may read the table it writes under dynamic
    partition overwrite), and a batch left with nothing is dropped, since
    an overwrite that writes no row leaves its partition as it was. Runs
    the statements itself and renders a no-op; nothing to do after a full
    build, whose one batch replaces nothing. Only the newest batch is
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
            {%- set holding_batches -%}
                select distinct older.staged_batch from {{ this }} as older
                where
                    older.staged_batch < {{ newest | int }}
                    and older.event_id in ({{ replaced_ids }})
            {%- endset -%}
            {%- set batches = run_query(holding_batches).columns[0].values() -%}
            {%- if batches | length > 0 -%}
                {%- set columns = adapter.get_columns_in_relation(this)
                    | map(attribute='quoted') | join(', ') -%}
                {%- do run_query('set spark.sql.sources.partitionOverwriteMode = DYNAMIC') -%}
                {%- do run_query(
                    'insert overwrite table ' ~ this ~ ' partition (staged_batch) select '
                    ~ columns ~ ' from ' ~ this ~ ' as older where older.staged_batch in ('
                    ~ batches | map('int') | join(', ') ~ ') and older.event_id not in ('
                    ~ replaced_ids ~ ')'
                ) -%}
                {%- for emptied in run_query(holding_batches).columns[0].values() -%}
                    {%- do run_query(
                        'alter table ' ~ this ~ ' drop if exists partition (staged_batch = '
                        ~ emptied | int ~ ')'
                    ) -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}
