{#- The raw event table, as a relation: var('raw_table') in the schema
    var('raw_schema') of the database var('raw_database') (null: the
    target's). The source conversation_events.conversation_events names the
    same table with the same vars; this is for the places that must not add
    a source dependency (start hooks, incremental staging's own checks). -#}
{% macro raw_events_relation() -%}
    {{ return(conversation_analytics.raw_relation(
        var('raw_schema', 'raw'),
        var('raw_table', 'conversation_events'),
        var('raw_database', none),
    )) }}
{%- endmacro %}

{#- A raw table, as a relation: `identifier` in `schema` of `database`
    (none: the target's, and none on Spark, whose relations have no
    database). -#}
{% macro raw_relation(schema, identifier, database=none) -%}
    {{ return(api.Relation.create(
        database=database or (target.database if target.database is defined else none),
        schema=schema,
        identifier=identifier,
    )) }}
{%- endmacro %}
