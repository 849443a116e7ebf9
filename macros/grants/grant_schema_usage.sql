{#- on-run-end: on PostgreSQL with the var bi_reader_role set, USAGE on
    the schemas of the marts and semantic-layer models this run built, so
    the SELECT their grants config gives that role can be used. No other
    schema: staging, intermediate, the quarantine and raw stay closed. A
    no-op when the var is null, and elsewhere. -#}
{% macro grant_schema_usage(results) -%}
    {%- set role = var('bi_reader_role', none) -%}
    {%- if not execute or not role or target.type != 'postgres' -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set schemas = [] -%}
    {%- for result in results
        if result.node.resource_type == 'model'
        and result.node.fqn[1] in ('marts', 'semantic')
        and result.status == 'success'
        and result.node.schema not in schemas -%}
        {%- do schemas.append(result.node.schema) -%}
    {%- endfor -%}
    {%- if not schemas -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set quoted = [] -%}
    {%- for schema in schemas | sort -%}
        {%- do quoted.append(adapter.quote(schema)) -%}
    {%- endfor -%}
    {#- The role is an identifier (check_vars), unquoted as dbt's own grants
        render it. -#}
    {{ return('grant usage on schema ' ~ quoted | join(', ') ~ ' to ' ~ role) }}
{%- endmacro %}
