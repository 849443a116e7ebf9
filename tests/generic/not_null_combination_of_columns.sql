{#- None of `columns` is null in any row (the compound-key twin of
    not_null). -#}
{% test not_null_combination_of_columns(model, columns) %}

with validation_errors as (

    select * from {{ model }}
    where
        {% for column in columns -%}
        {{ column }} is null{% if not loop.last %} or {% endif %}
        {% endfor %}

)

select * from validation_errors

{% endtest %}
