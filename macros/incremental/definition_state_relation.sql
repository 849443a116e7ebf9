{#- The table that remembers, per incremental model, the definition vars it
    was last built with: `ca_definition_state` in the staging schema (no
    database on Spark). -#}
{% macro definition_state_relation() -%}
    {{ return(api.Relation.create(
        database=target.database if target.database is defined else none,
        schema=generate_schema_name('staging'),
        identifier='ca_definition_state',
        type='table',
    )) }}
{%- endmacro %}
