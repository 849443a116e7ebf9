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

{% macro spark__json_type_name(json_expr) -%}
    case
        when {{ json_expr }} is null then null
        when schema_of_variant({{ json_expr }}) like 'OBJECT%' then 'object'
        when schema_of_variant({{ json_expr }}) like 'ARRAY%' then 'array'
        when schema_of_variant({{ json_expr }}) = 'STRING' then 'string'
        when schema_of_variant({{ json_expr }}) = 'BOOLEAN' then 'boolean'
        when schema_of_variant({{ json_expr }}) = 'VOID' then 'null'
        when
            schema_of_variant({{ json_expr }}) in ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE')
            or schema_of_variant({{ json_expr }}) like 'DECIMAL%'
            then 'number'
    end
{%- endmacro %}
