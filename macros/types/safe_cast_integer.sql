{#- Text to a big integer, or null unless the text is a plain integer
    ("3" yes; "three", "3.5", "" no). At most 18 digits, so it never
    overflows. -#}
{% macro safe_cast_integer(text_expr) -%}
    case
        when {{ conversation_analytics.regex_full_match(text_expr, '-?[0-9]{1,18}') }}
            then cast({{ text_expr }} as {{ dbt.type_bigint() }})
    end
{%- endmacro %}
