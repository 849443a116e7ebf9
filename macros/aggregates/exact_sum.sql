{#- Aggregate: the sum of a double-precision expression that does not
    depend on the order the warehouse adds the rows in, as a double (null
    when every value is null, as sum). A plain sum of doubles differs in
    its last digits from one row order (or parallel plan) to another, so
    an incremental run and a full refresh of the same rows would disagree.
    Each value below 1e15 in magnitude (a duration, a latency, a score) is
    rounded to `scale` decimal places (12: a microsecond, a trillionth of
    a score) and added as a decimal, which is exact; decimal(38, 12)
    leaves room for 1e11 such values. A value beyond that, or not finite
    (a hostile latency of 1e40 ms), is added as a double, after the exact
    part, and only a group holding one can depend on the order. -#}
{% macro exact_sum(expression, scale=12) -%}
    {%- set double = conversation_analytics.type_double() -%}
    {%- set is_bounded = 'abs(' ~ expression ~ ') < 1e15' -%}
    case
        when count({{ expression }}) > 0
            then
                coalesce(
                    cast(
                        sum(
                            case
                                when {{ is_bounded }}
                                    then cast({{ expression }} as decimal(38, {{ scale }}))
                            end
                        )
                        as {{ double }}
                    ),
                    0
                )
                + coalesce(sum(case when not ({{ is_bounded }}) then {{ expression }} end), 0)
    end
{%- endmacro %}
