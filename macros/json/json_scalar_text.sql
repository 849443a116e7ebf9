{#- A JSON scalar as text (a string without its quotes, a number or a
    boolean as written), but only when it is of `json_type` ('string',
    'number' or 'boolean'); null otherwise, so a value of the wrong type
    reads as null (docs/event-contract.md). -#}
{% macro json_scalar_text(json_expr, json_type) -%}
    case
        when {{ conversation_analytics.json_type_name(json_expr) }} = '{{ json_type }}'
            then {{ conversation_analytics.json_unquote(json_expr) }}
    end
{%- endmacro %}
