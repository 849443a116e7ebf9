{#- A JSON scalar as text (a string without its quotes, a number or a
    boolean as written), but only when it is of `json_type` ('string',
    'number' or 'boolean'); null otherwise, so a value of the wrong type
    reads as null (docs/event-contract.md). -#}
{% macro json_scalar_text(json_expr, json_type) -%}
    {{ return(adapter.dispatch('json_scalar_text', 'conversation_analytics')(json_expr, json_type)) }}
{%- endmacro %}

{% macro default__json_scalar_text(json_expr, json_type) -%}
    case
        when {{ conversation_analytics.json_type_name(json_expr) }} = '{{ json_type }}'
            then {{ conversation_analytics.json_unquote(json_expr) }}
    end
{%- endmacro %}

{#- Spark: the same test on the VARIANT's type name, written for the one
    type asked for, so a model reading many keys stays short enough for a
    view's text in the metastore. -#}
{% macro spark__json_scalar_text(json_expr, json_type) -%}
    case
        when {{ conversation_analytics.spark_variant_is(
            'schema_of_variant(' ~ json_expr ~ ')', json_type
        ) }}
            then {{ conversation_analytics.json_unquote(json_expr) }}
    end
{%- endmacro %}
