{#- dbt-utils' accepted_range, same signature and result: every row whose
    `column_name` lies outside [min_value, max_value] fails (either bound may
    be left out; `inclusive=false` makes both strict). A null value is never
    a failure: compare it with not_null. Returns the whole failing rows. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}

with meet_condition as (

    select * from {{ model }}

),

validation_errors as (

    select *
    from meet_condition
    where
        -- Never true: the base the optional bounds below are or-ed onto.
        1 = 2
        {%- if min_value is not none %}
        -- A row passes when the value is at or above (above, when not
        -- inclusive) min_value; `not` keeps the rows that do not. A null
        -- makes the comparison null, so the row passes.
        or not {{ column_name }} >{{ '=' if inclusive }} {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
        or not {{ column_name }} <{{ '=' if inclusive }} {{ max_value }}
        {%- endif %}

)

select * from validation_errors

{% endtest %}
