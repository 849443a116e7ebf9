{#- Two select columns, `<rate>_ci_low` and `<rate>_ci_high`: the Wilson
    interval of successes / total (wilson_bound), in percent, rounded to 1
    decimal like the rates. No trailing comma. -#}
{% macro wilson_interval_columns(rate, successes, total) -%}
    {%- for bound in ('low', 'high') %}
        {{ conversation_analytics.round_half_away(
            conversation_analytics.wilson_bound(successes, total, bound), 1
        ) }} as {{ rate }}_ci_{{ bound }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
