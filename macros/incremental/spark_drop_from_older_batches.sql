{#- Spark only: takes out of the batch partitions older than `newest` (by
    `staged_batch`) every row whose `key` is in `keys_query`, the way a
    DELETE would on a table format that has one. Each older batch that
    holds such a row is written again without them (insert overwrite of
    that partition, which may read the table it writes under dynamic
    partition overwrite), and a batch left with nothing is dropped, since
    an overwrite that writes no row leaves its partition as it was. Runs
    the statements itself (in a post-hook) and renders nothing. -#}
{% macro spark_drop_from_older_batches(newest, key, keys_query) -%}
    {%- set holding_batches -%}
        select distinct older.staged_batch from {{ this }} as older
        where
            older.staged_batch < {{ newest | int }}
            and older.{{ key }} in ({{ keys_query }})
    {%- endset -%}
    {%- set batches = run_query(holding_batches).columns[0].values() -%}
    {%- if batches | length > 0 -%}
        {%- set columns = adapter.get_columns_in_relation(this)
            | map(attribute='quoted') | join(', ') -%}
        {%- do run_query('set spark.sql.sources.partitionOverwriteMode = DYNAMIC') -%}
        {%- do run_query(
            'insert overwrite table ' ~ this ~ ' partition (staged_batch) select '
            ~ columns ~ ' from ' ~ this ~ ' as older where older.staged_batch in ('
            ~ batches | map('int') | join(', ') ~ ') and older.' ~ key ~ ' not in ('
            ~ keys_query ~ ')'
        ) -%}
        {%- for emptied in run_query(holding_batches).columns[0].values() -%}
            {%- do run_query(
                'alter table ' ~ this ~ ' drop if exists partition (staged_batch = '
                ~ emptied | int ~ ')'
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
