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
