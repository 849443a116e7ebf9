{#- The query of the periods to rebuild that the macro of this package
    named `periods_macro` (touched_started_dates, touched_weeks) returns:
    the pre-hook and the filter of incremental_by_touched_periods() both
    read the periods through it. -#}
{% macro touched_periods(periods_macro) -%}
    {%- if periods_macro not in conversation_analytics -%}
        {{ exceptions.raise_compiler_error(
            "touched_periods: no macro conversation_analytics." ~ periods_macro
            ~ " returns the periods to rebuild"
        ) }}
    {%- endif -%}
    {{ return(conversation_analytics[periods_macro]()) }}
{%- endmacro %}
