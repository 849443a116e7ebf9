{#- P(Z <= x) for a standard normal Z, as a double, from the complementary
    error function: P = erfc(-x / sqrt 2) / 2, with erfc from the Chebyshev
    fit of Numerical Recipes (erfcc; relative error below 1.2e-7 for every
    x), since neither DuckDB nor PostgreSQL has erf. The exponent is held
    above -700 so PostgreSQL's exp() does not fail on underflow; below that
    the probability is under 1e-300 either way. `x` is a SQL expression,
    read several times: pass a column. -#}
{% macro standard_normal_cdf(x) -%}
    {%- set double = conversation_analytics.type_double() -%}
    {%- set u = '(abs(cast(' ~ x ~ ' as ' ~ double ~ ')) / sqrt(2.0))' -%}
    {%- set t = '(1.0 / (1.0 + 0.5 * ' ~ u ~ '))' -%}
    {%- set coefficients = [
        -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
        0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277,
    ] -%}
    {%- set poly = namespace(text=coefficients[-1] | string) -%}
    {%- for coefficient in coefficients[:-1] | reverse -%}
        {%- set poly.text = coefficient ~ ' + ' ~ t ~ ' * (' ~ poly.text ~ ')' -%}
    {%- endfor -%}
    {%- set tail = t ~ ' * exp(greatest(-700.0, -1.0 * ' ~ u ~ ' * ' ~ u ~ ' + ' ~ poly.text ~ '))' -%}
    case
        when {{ x }} is null then null
        when {{ x }} >= 0 then 1.0 - 0.5 * {{ tail }}
        else 0.5 * {{ tail }}
    end
{%- endmacro %}
