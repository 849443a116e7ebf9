{#- expr rounded to `digits` decimals, halves away from zero, computed in
    double precision with the same operations on every adapter, so DuckDB
    and PostgreSQL round alike (PostgreSQL has no round(double, int)).
    A value within 1e-7 (in units of the last digit) below a half counts as
    the half: an average that is exactly x.xx5 can come out of a float sum
    a hair below it, in an order that differs between warehouses. -#}
{% macro round_half_away(expr, digits) -%}
    {%- set scale = 10 ** (digits | int) -%}
    (
        sign(cast({{ expr }} as {{ conversation_analytics.type_double() }}))
        * floor(
            abs(cast({{ expr }} as {{ conversation_analytics.type_double() }})) * {{ scale }}
            + 0.5 + 1e-7
        )
        / {{ scale }}
    )
{%- endmacro %}
