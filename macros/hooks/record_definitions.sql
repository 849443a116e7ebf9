{#- on-run-end: record, for each incremental model this run built
    successfully, the definition vars it was built with
    (definition_state_relation), so the next run knows whether it must
    rebuild it in full. A model that failed keeps its old record and is
    rebuilt next time. -#}
{% macro record_definitions(results) -%}
    {%- if not execute -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set built = [] -%}
    {%- for result in results
        if result.node.resource_type == 'model'
        and result.node.config.materialized == 'incremental'
        and result.status == 'success' -%}
        {%- do built.append(result.node.alias or result.node.name) -%}
    {%- endfor -%}
    {%- if not built -%}
        {{ return('select 1') }}
    {%- endif -%}
    {{ return(conversation_analytics.write_definition_state(
        conversation_analytics.definition_state_relation(),
        built,
        conversation_analytics.definitions_fingerprint(),
    )) }}
{%- endmacro %}

{#- The statements that store `fingerprint` as the record of each model
    named in `model_names` in the table `state`, creating it when needed
    and replacing those models' old records. -#}
{% macro write_definition_state(state, model_names, fingerprint) -%}
    {{ return(adapter.dispatch('write_definition_state', 'conversation_analytics')(
        state, model_names, fingerprint
    )) }}
{%- endmacro %}

{% macro default__write_definition_state(state, model_names, fingerprint) -%}
    {%- set names = [] -%}
    {%- for name in model_names -%}
        {%- do names.append("'" ~ name ~ "'") -%}
    {%- endfor -%}
    {%- set statements -%}
        create table if not exists {{ state }} (
            model_name {{ dbt.type_string() }},
            fingerprint {{ dbt.type_string() }}
        );
        delete from {{ state }} where model_name in ({{ names | join(', ') }});
        insert into {{ state }} (model_name, fingerprint)
        {%- for name in names %}
        select {{ name }}, '{{ fingerprint | replace("'", "''") }}'{{ ' union all' if not loop.last }}
        {%- endfor %}
    {%- endset -%}
    {{ return(statements) }}
{%- endmacro %}

{#- Spark: one statement per call, and no DELETE on a Parquet table. The
    records are few: the kept ones are read, and the table is written
    again with them and the new ones (a table cannot be overwritten from a
    query that reads it). Runs the statements itself and returns a no-op. -#}
{% macro spark__write_definition_state(state, model_names, fingerprint) -%}
    {%- do run_query(
        'create table if not exists ' ~ state
        ~ ' (model_name string, fingerprint string) using parquet'
    ) -%}
    {%- set records = {} -%}
    {%- for row in run_query('select model_name, fingerprint from ' ~ state).rows -%}
        {%- do records.update({row[0]: row[1]}) -%}
    {%- endfor -%}
    {%- for name in model_names -%}
        {%- do records.update({name: fingerprint}) -%}
    {%- endfor -%}
    {%- set values = [] -%}
    {%- for name, recorded in records.items() -%}
        {%- do values.append(
            '(' ~ conversation_analytics.spark_string_literal(name) ~ ', '
            ~ conversation_analytics.spark_string_literal(recorded) ~ ')'
        ) -%}
    {%- endfor -%}
    {%- do run_query('insert overwrite table ' ~ state ~ ' values ' ~ values | join(', ')) -%}
    {{ return('select 1') }}
{%- endmacro %}

{#- Spark: `text` as a string literal. Spark reads a backslash in a
    literal as an escape, so backslashes and quotes are escaped with one. -#}
{% macro spark_string_literal(text) -%}
    {{- "'" ~ (text | string | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'" -}}
{%- endmacro %}
