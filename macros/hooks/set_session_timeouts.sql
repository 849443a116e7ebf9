{#- on-run-start and each model's pre-hook: on PostgreSQL, bound how long
    a statement of this run waits for a lock (CA_PG_LOCK_TIMEOUT, default
    60s) and runs at all (CA_PG_STATEMENT_TIMEOUT, default 0: no limit), on
    every connection dbt uses, so a session holding a lock on a mart makes
    the run fail with "canceling statement due to lock timeout" instead of
    hanging. And JIT compilation (CA_PG_JIT, default off): the project's
    queries are planned with large estimated costs and run in well under a
    second on an hourly run, and compiling them took longer than running
    them (3.9 s of JIT in a 4.0 s agent_performance_weekly query at 1M
    events).
    dbt-postgres has no profile field for server settings, hence the
    environment (see profiles.example.yml). A no-op elsewhere. -#}
{% macro set_session_timeouts() -%}
    {{ return(adapter.dispatch('set_session_timeouts', 'conversation_analytics')()) }}
{%- endmacro %}

{% macro default__set_session_timeouts() -%}
{%- endmacro %}

{% macro postgres__set_session_timeouts() -%}
    {%- set settings = {
        'lock_timeout': ('CA_PG_LOCK_TIMEOUT', '60s'),
        'statement_timeout': ('CA_PG_STATEMENT_TIMEOUT', '0'),
    } -%}
    {%- for setting, (variable, default) in settings.items() -%}
        {%- set value = env_var(variable, default) | trim -%}
        {%- if not modules.re.fullmatch('[0-9]{1,9}(us|ms|s|min|h|d)?', value) -%}
            {{ exceptions.raise_compiler_error(
                variable ~ ' is ' ~ value[:40] ~ ": expected a duration such as 60s, 500ms or 0 (none)"
            ) }}
        {%- endif %}
    set {{ setting }} = '{{ value }}';
    {%- endfor %}
    {%- set jit = env_var('CA_PG_JIT', 'off') | trim | lower %}
    {%- if jit not in ['on', 'off'] -%}
        {{ exceptions.raise_compiler_error(
            'CA_PG_JIT is ' ~ jit[:40] ~ ': expected on or off'
        ) }}
    {%- endif %}
    set jit = {{ jit }};
{%- endmacro %}

{#- Spark: every connection reads and writes times in UTC, whatever the
    cluster's default time zone. -#}
{% macro spark__set_session_timeouts() -%}
    set spark.sql.session.timeZone = UTC
{%- endmacro %}
