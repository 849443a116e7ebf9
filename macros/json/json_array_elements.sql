{#- A from-clause item (a lateral join) giving one row per element of the
    JSON array `json_expr`, as the columns `element` (JSON) and
    `element_index` (1-based), under `alias`. A value that is not an array
    (an object, a scalar, null) gives no rows. -#}
{% macro json_array_elements(json_expr, alias) -%}
    {{ return(adapter.dispatch('json_array_elements', 'conversation_analytics')(json_expr, alias)) }}
{%- endmacro %}

{% macro default__json_array_elements(json_expr, alias) -%}
    {{ conversation_analytics.adapter_not_supported('json_array_elements') }}
{%- endmacro %}

{% macro postgres__json_array_elements(json_expr, alias) -%}
    cross join lateral jsonb_array_elements(
        case
            when jsonb_typeof(cast({{ json_expr }} as jsonb)) = 'array'
                then cast({{ json_expr }} as jsonb)
        end
    ) with ordinality as {{ alias }} (element, element_index)
{%- endmacro %}

{% macro duckdb__json_array_elements(json_expr, alias) -%}
    {%- set array = 'json_extract(case when json_type(' ~ json_expr
        ~ ") = 'ARRAY' then " ~ json_expr ~ " end, '$[*]')" -%}
    cross join lateral (
        select
            unnest({{ array }}) as element,
            generate_subscripts({{ array }}, 1) as element_index
    ) as {{ alias }}
{%- endmacro %}

{#- Spark: a lateral view over the VARIANT array's elements (null, and no
    rows, when the value is not an array), numbered from 1. -#}
{% macro spark__json_array_elements(json_expr, alias) -%}
    lateral view inline(transform(
        try_variant_get({{ json_expr }}, '$', 'array<variant>'),
        (array_element, array_position) -> named_struct(
            'element', array_element, 'element_index', array_position + 1
        )
    )) {{ alias }} as element, element_index
{%- endmacro %}
