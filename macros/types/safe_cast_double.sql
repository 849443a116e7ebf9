{#- Text to a double, or null unless the text is a plain decimal number
    ("0.91", "-2", "1e3" yes; "fast", "NaN", "" no). Bounded in size so
    the cast can never overflow a double and fail the build. -#}
{% macro safe_cast_double(text_expr) -%}
    case
        when {{ conversation_analytics.regex_full_match(
            text_expr, '-?[0-9]{1,200}([.][0-9]+)?([eE][-+]?[0-9]{1,2})?'
        ) }}
            then cast({{ text_expr }} as {{ conversation_analytics.type_double() }})
    end
{%- endmacro %}
