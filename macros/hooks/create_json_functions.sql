{#- on-run-start: the helper functions that parse_json_text needs where the
    warehouse has no safe JSON cast. A no-op elsewhere.

    Privileges (PostgreSQL): CREATE on the target schema, or none beyond
    USAGE when the functions exist and the role owns them. The schema is
    created only when the catalog lacks it, so a role without CREATE on
    the database runs once the schema exists. The functions pin their
    search_path and qualify every name they use, so nothing a caller puts
    on its search_path changes what they do. -#}
{% macro create_json_functions() -%}
    {{ return(adapter.dispatch('create_json_functions', 'conversation_analytics')()) }}
{%- endmacro %}

{% macro default__create_json_functions() -%}
    select 1
{%- endmacro %}

{% macro postgres__create_json_functions() -%}
    {%- set schema = conversation_analytics.json_functions_schema() -%}
    do $create_schema$
    begin
        if not exists (
            select 1 from pg_catalog.pg_namespace
            where nspname = '{{ target.schema | replace("'", "''") }}'
        ) then
            create schema {{ schema }};
        end if;
    end
    $create_schema$;
    create or replace function {{ schema }}.ca_try_parse_jsonb(value pg_catalog.text)
    returns pg_catalog.jsonb
    language plpgsql
    immutable
    -- The exception block opens a subtransaction, which PostgreSQL refuses
    -- inside a parallel worker or a parallel leader: parallel unsafe.
    parallel unsafe
    set search_path = pg_catalog, pg_temp
    as $fn$
    begin
        return value::pg_catalog.jsonb;
    exception when others then
        return null;
    end;
    $fn$;
    create or replace function {{ schema }}.ca_try_parse_utc_timestamp(value pg_catalog.text)
    returns pg_catalog.timestamp
    language plpgsql
    -- Stable, not immutable: the text-to-timestamp casts read settings
    -- (DateStyle). Parallel unsafe for the same reason as above.
    stable
    parallel unsafe
    set search_path = pg_catalog, pg_temp
    as $fn$
    begin
        if value ~ '[0-9]:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?\s*(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)\s*$' then
            return value::pg_catalog.timestamptz at time zone 'UTC';
        end if;
        return value::pg_catalog.timestamp;
    exception when others then
        return null;
    end;
    $fn$
{%- endmacro %}
