{#- Every row satisfies `expression` (rows where it is null pass only when
    the expression itself allows it: `x is null or x >= 0`). -#}
{% test expression_is_true(model, expression, column_name=none) %}

with validation_errors as (

    select * from {{ model }}
    where not (
        {%- if column_name %} {{ column_name }} {% endif %} {{ expression }}
    )

)

select * from validation_errors

{% endtest %}
