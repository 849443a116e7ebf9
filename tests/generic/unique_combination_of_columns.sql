{#- dbt-utils' unique_combination_of_columns, same signature and result: no
    two rows share the values of `combination_of_columns` (the primary-key
    test of a compound grain). Returns each duplicated combination once.
    `quote_columns=true` quotes the column names (for names that are
    keywords or mixed case). -#}
{% test unique_combination_of_columns(model, combination_of_columns, quote_columns=false) %}

{%- if quote_columns %}
    {%- set column_list = [] %}
    {%- for column in combination_of_columns %}
        {%- do column_list.append(adapter.quote(column)) %}
    {%- endfor %}
{%- else %}
    {%- set column_list = combination_of_columns %}
{%- endif %}

{%- set columns_csv = column_list | join(', ') %}

with validation_errors as (

    select {{ columns_csv }}
    from {{ model }}
    group by {{ columns_csv }}
    having count(*) > 1

)

select * from validation_errors

{% endtest %}
