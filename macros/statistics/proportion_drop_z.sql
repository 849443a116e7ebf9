{#- The z statistic of the two-proportion test with pooled variance that
    compares after = after_successes / after_total with before =
    before_successes / before_total:

        z = (after - before) / sqrt(p (1 - p) (1 / before_total + 1 / after_total))

    with p the pooled proportion. Negative when the proportion fell. Null
    when either total is 0, or when p is 0 or 1 (both proportions equal, no
    variation to test). The arguments are SQL expressions, read more than
    once. -#}
{% macro proportion_drop_z(before_successes, before_total, after_successes, after_total) -%}
    {%- set double = conversation_analytics.type_double() -%}
    {%- set s1 = 'cast(' ~ before_successes ~ ' as ' ~ double ~ ')' -%}
    {%- set n1 = 'cast(nullif(' ~ before_total ~ ', 0) as ' ~ double ~ ')' -%}
    {%- set s2 = 'cast(' ~ after_successes ~ ' as ' ~ double ~ ')' -%}
    {%- set n2 = 'cast(nullif(' ~ after_total ~ ', 0) as ' ~ double ~ ')' -%}
    {%- set pooled = '((' ~ s1 ~ ' + ' ~ s2 ~ ') / (' ~ n1 ~ ' + ' ~ n2 ~ '))' -%}
    (
        ({{ s2 }} / {{ n2 }} - {{ s1 }} / {{ n1 }})
        / nullif(
            sqrt({{ pooled }} * (1.0 - {{ pooled }}) * (1.0 / {{ n1 }} + 1.0 / {{ n2 }})),
            0
        )
    )
{%- endmacro %}
