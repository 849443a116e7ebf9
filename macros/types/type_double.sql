{#- An 8-byte float on every adapter (dbt.type_float() is 4 bytes on
    DuckDB, too coarse for scores compared to 1e-9). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'conversation_analytics')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
