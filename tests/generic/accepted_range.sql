{#- Every non-null value of the column lies in [min_value, max_value]
    (either bound optional; `inclusive: false` makes both strict). -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}

with validation_errors as (

    select {{ column_name }} from {{ model }}
    where
        {{ column_name }} is not null
        and (
            1 = 0
            {%- if min_value is not none %}
            or {{ column_name }} {{ '<' if inclusive else '<=' }} {{ min_value }}
            {%- endif %}
            {%- if max_value is not none %}
            or {{ column_name }} {{ '>' if inclusive else '>=' }} {{ max_value }}
            {%- endif %}
        )

)

select * from validation_errors

{% endtest %}
