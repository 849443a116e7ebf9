{#- The raw event table, as a relation: var('raw_table') in the schema
    var('raw_schema') of the database var('raw_database') (null: the
    target's, and none on Spark, whose relations have no database). The
    source conversation_events.conversation_events names the same table
    with the same vars; this is for the places that must not add a source
    dependency (start hooks, incremental staging's own checks). -#}
{% macro raw_events_relation() -%}
    {{ return(api.Relation.create(
        database=var('raw_database', none)
            or (target.database if target.database is defined else none),
        schema=var('raw_schema', 'raw'),
        identifier=var('raw_table', 'conversation_events'),
    )) }}
{%- endmacro %}
