{#- on-run-start: the helper functions that parse_json_text needs where the
    warehouse has no safe JSON cast. A no-op elsewhere. -#}
{% macro create_json_functions() -%}
    {{ return(adapter.dispatch('create_json_functions', 'conversation_analytics')()) }}
{%- endmacro %}

{% macro default__create_json_functions() -%}
    select 1
{%- endmacro %}

{% macro postgres__create_json_functions() -%}
    {%- set schema = conversation_analytics.json_functions_schema() -%}
    create schema if not exists {{ schema }};
    create or replace function {{ schema }}.ca_try_parse_jsonb(value text)
    returns jsonb
    language plpgsql
    immutable
    -- The exception block opens a subtransaction, which PostgreSQL refuses
    -- inside a parallel worker or a parallel leader: parallel unsafe.
    parallel unsafe
    as $fn$
    begin
        return value::jsonb;
    exception when others then
        return null;
    end;
    $fn$;
    create or replace function {{ schema }}.ca_try_parse_utc_timestamp(value text)
    returns timestamp
    language plpgsql
    -- Stable, not immutable: the text-to-timestamp casts read settings
    -- (DateStyle). Parallel unsafe for the same reason as above.
    stable
    parallel unsafe
    as $fn$
    begin
        if value ~ '[0-9]:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?\s*(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)\s*$' then
            return value::timestamptz at time zone 'UTC';
        end if;
        return value::timestamp;
    exception when others then
        return null;
    end;
    $fn$
{%- endmacro %}
