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
    {%- set state = conversation_analytics.definition_state_relation() -%}
    {%- set fingerprint = conversation_analytics.definitions_fingerprint() | replace("'", "''") -%}
    {%- set names = [] -%}
    {%- for name in built -%}
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
        select {{ name }}, '{{ fingerprint }}'{{ ' union all' if not loop.last }}
        {%- endfor %}
    {%- endset -%}
    {{ return(statements) }}
{%- endmacro %}
