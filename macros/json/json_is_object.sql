{#- True when a parsed JSON value is an object, false for arrays and
    scalars, null for null. -#}
{% macro json_is_object(json_expr) -%}
    ({{ conversation_analytics.json_type_name(json_expr) }} = 'object')
{%- endmacro %}
