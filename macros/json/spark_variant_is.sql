{#- Spark: whether `type_name`, a name schema_of_variant gives (OBJECT<...>,
    ARRAY<...>, STRING, BOOLEAN, VOID, an integer, decimal or floating
    type), is of the JSON type `json_type`; null for a null name. -#}
{% macro spark_variant_is(type_name, json_type) -%}
    {%- if json_type == 'object' -%}
        {{ type_name }} like 'OBJECT%'
    {%- elif json_type == 'array' -%}
        {{ type_name }} like 'ARRAY%'
    {%- elif json_type == 'null' -%}
        {{ type_name }} = 'VOID'
    {%- elif json_type == 'number' -%}
        ({{ type_name }} in ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE')
            or {{ type_name }} like 'DECIMAL%')
    {%- else -%}
        {{ type_name }} = '{{ json_type | upper }}'
    {%- endif -%}
{%- endmacro %}
