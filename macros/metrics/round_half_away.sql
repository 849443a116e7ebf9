{#- expr rounded to `digits` decimals, halves away from zero, computed in
    double precision with the same operations on every adapter, so DuckDB
    and PostgreSQL round alike (PostgreSQL has no round(double, int)). -#}
{% macro round_half_away(expr, digits) -%}
    {%- set scale = 10 ** (digits | int) -%}
    (
        sign(cast({{ expr }} as {{ conversation_analytics.type_double() }}))
        * floor(abs(cast({{ expr }} as {{ conversation_analytics.type_double() }})) * {{ scale }} + 0.5)
        / {{ scale }}
    )
{%- endmacro %}
