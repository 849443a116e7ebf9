{#- 100 x numerator / denominator, unrounded, as a double; null when the
    denominator is 0 or null. -#}
{% macro percentage(numerator, denominator) -%}
    (
        100 * cast({{ numerator }} as {{ conversation_analytics.type_double() }})
        / nullif({{ denominator }}, 0)
    )
{%- endmacro %}
