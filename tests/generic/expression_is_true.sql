{#- dbt-utils' expression_is_true, same signature and result: every row for
    which `expression` is not true fails. With `column_name` (the test placed
    under a column) the expression is appended to the column:
    `expression: "<= user_turns"` tests `rephrase_count <= user_turns`. A row
    where the expression is null passes; write `x is null or x >= 0` to say
    so explicitly. Failing rows are returned whole when failures are stored
    (`store_failures`), else as one constant column, as dbt-utils does. -#}
{% test expression_is_true(model, expression, column_name=None) %}

{% set column_list = '*' if should_store_failures() else '1' %}

select {{ column_list }}
from {{ model }}
{% if column_name is none %}
where not ({{ expression }})
{%- else %}
where not ({{ column_name }} {{ expression }})
{%- endif %}

{% endtest %}
