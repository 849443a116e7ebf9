{#- One bound ('low' or 'high') of the Wilson score interval of the
    proportion successes / total, in percent (0-100), unrounded, at
    var('confidence_level'); null when total is 0. With z the level's
    quantile:

        centre    = (s + z^2 / 2) / (n + z^2)
        half      = z * sqrt(s * (n - s) / n + z^2 / 4) / (n + z^2)
        low, high = centre - half, centre + half

    which is the textbook form multiplied through by n. Unlike the normal
    approximation it stays inside 0-100 and is not empty at 0 or n
    successes. The arguments are SQL expressions, read more than once. -#}
{% macro wilson_bound(successes, total, bound) -%}
    {%- if bound not in ('low', 'high') -%}
        {{ exceptions.raise_compiler_error(
            "wilson_bound: bound is '" ~ bound ~ "', expected 'low' or 'high'"
        ) }}
    {%- endif -%}
    {%- set double = conversation_analytics.type_double() -%}
    {%- set z = conversation_analytics.confidence_z() -%}
    {%- set z2 = z * z -%}
    {%- set s = 'cast(' ~ successes ~ ' as ' ~ double ~ ')' -%}
    {%- set n = 'cast(nullif(' ~ total ~ ', 0) as ' ~ double ~ ')' -%}
    {%- set centre = '(' ~ s ~ ' + ' ~ z2 / 2 ~ ') / (' ~ n ~ ' + ' ~ z2 ~ ')' -%}
    {%- set half = z ~ ' * sqrt(' ~ s ~ ' * (' ~ n ~ ' - ' ~ s ~ ') / ' ~ n
        ~ ' + ' ~ z2 / 4 ~ ') / (' ~ n ~ ' + ' ~ z2 ~ ')' -%}
    {#- greatest and least skip nulls, hence the case. -#}
    case when {{ n }} > 0 then
    {%- if bound == 'low' %} greatest(0.0, 100 * ({{ centre }} - {{ half }}))
    {%- else %} least(100.0, 100 * ({{ centre }} + {{ half }}))
    {%- endif %} end
{%- endmacro %}
