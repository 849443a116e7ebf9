{#- The table that remembers, per incremental model, the definition vars it
    was last built with: `ca_definition_state` in the staging schema. -#}
{% macro definition_state_relation() -%}
    {{ return(api.Relation.create(
        database=target.database,
        schema=generate_schema_name('staging'),
        identifier='ca_definition_state',
        type='table',
    )) }}
{%- endmacro %}
