{#- The value under `key` as text when it has `json_type` ('string',
    'number', 'boolean'), else null; read from a json_fields() column built
    with the same `keys`. -#}
{% macro json_typed_value(fields_expr, keys, key, json_type) -%}
    {{ conversation_analytics.json_scalar_text(
        conversation_analytics.json_field(fields_expr, keys, key), json_type
    ) }}
{%- endmacro %}
