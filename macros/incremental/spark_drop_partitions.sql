{#- Spark only: drops the partitions of `this` whose `column` (a date)
    holds one of the values `values_query` returns, the way a DELETE of
    those rows would on a table format that has one. Runs the statement
    itself and renders nothing. -#}
{% macro spark_drop_partitions(column, values_query) -%}
    {%- set values = run_query(values_query).columns[0].values() | reject('none') | list -%}
    {%- if values | length > 0 -%}
        {%- set specs = [] -%}
        {%- for value in values | unique -%}
            {%- do specs.append(
                'partition (' ~ column ~ " = '" ~ (value | string)[:10] ~ "')"
            ) -%}
        {%- endfor -%}
        {%- do run_query(
            'alter table ' ~ this ~ ' drop if exists ' ~ specs | join(', ')
        ) -%}
    {%- endif -%}
{%- endmacro %}

{#- Spark's pre-hook of the marts set up by incremental_by_touched_periods
    (spark__touched_periods_config): on an incremental run, drop the
    partitions of the periods the run rebuilds before it writes them, so a
    period that lost all its rows does not keep stale ones (an overwrite
    that writes no row leaves its partition as it was). -#}
{% macro spark_drop_touched_periods(period_column, periods_macro) -%}
    {%- if execute and is_incremental() -%}
        {%- do conversation_analytics.spark_drop_partitions(
            period_column, conversation_analytics.touched_periods(periods_macro)
        ) -%}
    {%- endif -%}
    select 1
{%- endmacro %}
