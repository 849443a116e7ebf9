{#- The project's own test (dbt-utils has none of this name): no row has a
    null in any of `columns`, the compound-key twin of not_null. Returns the
    whole failing rows. -#}
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
