{#- The table that serialises runs on PostgreSQL: at most one row, the run
    that holds the project lock (its invocation_id and start time), in the
    target schema beside the helper functions. -#}
{% macro run_lock_relation() -%}
    {{ return(api.Relation.create(
        database=target.database, schema=target.schema, identifier='ca_run_lock'
    )) }}
{%- endmacro %}

{#- Last on-run-start hook: take the project lock, or stop the run with one
    line when another run holds it. On PostgreSQL a row in
    run_lock_relation, not a session advisory lock: dbt runs hooks and
    models on different connections, so no one session lives as long as
    the run. A lock older than CA_PG_RUN_LOCK_STALE_MINUTES (default 360),
    left by a run that was killed, is taken over. Last, so that no start
    hook can fail after it (on-run-end, which releases it, would not run).
    A no-op elsewhere: DuckDB lets one process write its file. -#}
{% macro acquire_run_lock() -%}
    {{ return(adapter.dispatch('acquire_run_lock', 'conversation_analytics')()) }}
{%- endmacro %}

{% macro default__acquire_run_lock() -%}
{%- endmacro %}

{% macro postgres__acquire_run_lock() -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set stale = env_var('CA_PG_RUN_LOCK_STALE_MINUTES', '360') | trim -%}
    {%- if not modules.re.fullmatch('[1-9][0-9]{0,5}', stale) -%}
        {{ exceptions.raise_compiler_error(
            'CA_PG_RUN_LOCK_STALE_MINUTES is ' ~ stale[:40] ~ ': expected a whole number of minutes above 0'
        ) }}
    {%- endif -%}
    {%- set lock = conversation_analytics.run_lock_relation() -%}
    {#- Committed at once, so another run sees the row while this one runs. -#}
    {%- call statement('acquire_run_lock', fetch_result=True, auto_begin=False) -%}
        create table if not exists {{ lock }} (
            lock_key integer primary key,
            invocation_id text not null,
            started_at timestamptz not null
        );
        delete from {{ lock }}
        where lock_key = 1 and started_at < now() - interval '{{ stale }} minutes';
        insert into {{ lock }} (lock_key, invocation_id, started_at)
        values (1, '{{ invocation_id }}', now())
        on conflict (lock_key) do nothing;
        commit;
        select invocation_id, to_char(started_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC'
        from {{ lock }}
        where lock_key = 1
    {%- endcall -%}
    {%- set rows = load_result('acquire_run_lock')['table'].rows -%}
    {%- if rows and rows[0][0] != invocation_id -%}
        {{ exceptions.raise_compiler_error(
            'another dbt run holds the project lock since ' ~ rows[0][1]
            ~ ' (invocation ' ~ rows[0][0] ~ '); retry later'
        ) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{#- First on-run-end hook (a failing later one cannot keep it from running):
    release the project lock this run holds, if any. -#}
{% macro release_run_lock() -%}
    {{ return(adapter.dispatch('release_run_lock', 'conversation_analytics')()) }}
{%- endmacro %}

{% macro default__release_run_lock() -%}
{%- endmacro %}

{% macro postgres__release_run_lock() -%}
    {%- set lock = conversation_analytics.run_lock_relation() -%}
    do $release_run_lock$
    begin
        if pg_catalog.to_regclass('{{ lock.include(database=false) | string | replace("'", "''") }}') is not null then
            delete from {{ lock }} where lock_key = 1 and invocation_id = '{{ invocation_id }}';
        end if;
    end
    $release_run_lock$;
    commit
{%- endmacro %}
