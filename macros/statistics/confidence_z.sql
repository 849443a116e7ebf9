{#- The two-sided standard normal quantile of var('confidence_level'):
    1.959963984540054 for 0.95. The levels are a fixed list (check_vars
    refuses any other), so the quantile is an exact constant and no
    warehouse needs an inverse normal function. -#}
{% macro confidence_z() -%}
    {%- set quantiles = conversation_analytics.confidence_level_quantiles() -%}
    {%- set level = var('confidence_level', 0.95) | string -%}
    {%- if level not in quantiles -%}
        {{ exceptions.raise_compiler_error(
            'var confidence_level is ' ~ level ~ ': expected one of '
            ~ quantiles.keys() | join(', ')
        ) }}
    {%- endif -%}
    {{ return(quantiles[level]) }}
{%- endmacro %}

{#- The confidence levels var('confidence_level') takes, each with its
    two-sided standard normal quantile z (the (1 + level) / 2 quantile). -#}
{% macro confidence_level_quantiles() -%}
    {{ return({
        '0.8': 1.2815515655446004,
        '0.85': 1.4395314709384563,
        '0.9': 1.6448536269514722,
        '0.95': 1.959963984540054,
        '0.975': 2.241402727604947,
        '0.98': 2.3263478740408408,
        '0.99': 2.5758293035489004,
        '0.995': 2.807033768343811,
        '0.999': 3.2905267314918945,
    }) }}
{%- endmacro %}
