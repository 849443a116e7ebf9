{#- Deletes the rows of a relation that match a condition; returns how many
    there were. On Spark, whose plain Parquet tables have no DELETE, stops
    with one line before anything is deleted. -#}
{% macro erase_rows(relation, condition) -%}
    {{ return(adapter.dispatch('erase_rows', 'conversation_analytics')(relation, condition)) }}
{%- endmacro %}

{% macro default__erase_rows(relation, condition) -%}
    {%- set matched = run_query(
        'select count(*) from ' ~ relation ~ ' where ' ~ condition
    ).columns[0].values()[0] -%}
    {%- do run_query('delete from ' ~ relation ~ ' where ' ~ condition) -%}
    {{ return(matched | int) }}
{%- endmacro %}

{% macro spark__erase_rows(relation, condition) -%}
    {{ exceptions.raise_compiler_error(
        'cannot delete rows from ' ~ relation ~ ' on Spark: its Parquet tables have no DELETE,'
        ~ ' so raw retention (apply_raw_retention) and erasing a user (erase_user_events)'
        ~ ' are not supported there; nothing was deleted'
    ) }}
{%- endmacro %}
