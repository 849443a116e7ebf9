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
