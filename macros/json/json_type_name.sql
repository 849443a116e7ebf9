{#- The JSON type of a parsed JSON value, the same names on every adapter:
    'object', 'array', 'string', 'number', 'boolean' or 'null' (null for SQL
    null). -#}
{% macro json_type_name(json_expr) -%}
    {{ return(adapter.dispatch('json_type_name', 'conversation_analytics')(json_expr)) }}
{%- endmacro %}

{% macro default__json_type_name(json_expr) -%}
    {{ conversation_analytics.adapter_not_supported('json_type_name') }}
{%- endmacro %}

{% macro postgres__json_type_name(json_expr) -%}
    jsonb_typeof({{ json_expr }})
{%- endmacro %}

{% macro duckdb__json_type_name(json_expr) -%}
    case
        when json_type({{ json_expr }}) = 'OBJECT' then 'object'
        when json_type({{ json_expr }}) = 'ARRAY' then 'array'
        when json_type({{ json_expr }}) = 'VARCHAR' then 'string'
        when json_type({{ json_expr }}) = 'BOOLEAN' then 'boolean'
        when json_type({{ json_expr }}) = 'NULL' then 'null'
        when json_type({{ json_expr }}) in ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE')
            then 'number'
    end
{%- endmacro %}

{#- Spark: the common name of the type schema_of_variant gives. -#}
{% macro spark__json_type_name(json_expr) -%}
    {%- set type_name = 'schema_of_variant(' ~ json_expr ~ ')' -%}
    case
        when {{ json_expr }} is null then null
        {%- for json_type in ['object', 'array', 'string', 'boolean', 'null', 'number'] %}
        when {{ conversation_analytics.spark_variant_is(type_name, json_type) }} then '{{ json_type }}'
        {%- endfor %}
    end
{%- endmacro %}
