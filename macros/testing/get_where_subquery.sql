{#- dbt's get_where_subquery, which wraps the model of every generic test,
    overridden (dbt uses the override for this project's own tests, also
    when it is installed as a package; a host project's keep dbt's): a
    test's own `where` config as in dbt, and in a run of the hourly
    selector (`dbt build --selector hourly`) also hourly_test_scope, so the
    tests of the big incremental tables read the rows the run wrote, not
    the whole history. Every other run (plain `dbt build`, the nightly
    selector) tests whole tables. -#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set scope = conversation_analytics.hourly_test_scope(relation) -%}
    {%- if scope -%}
        {%- do conditions.append(scope) -%}
    {%- endif -%}
    {%- if not conditions -%}
        {{ return(relation) }}
    {%- endif -%}
    {{ return(
        '(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery'
    ) }}
{%- endmacro %}


{#- The rows an hourly run's tests read, as a condition on the tested
    relation, or an empty text for all of them. Sound for row-level tests
    (not_null, accepted_values, expressions) and for uniqueness in tables
    written by delete+insert on their key, which cannot duplicate across
    runs; the nightly selector tests every row.

    - Staging, the rollups, fct_conversations and fct_conversation_models
      (staged_batch): the rows of the latest batch.
    - The typed raw rows and the quarantine (views over the raw table):
      the rows loaded within ingestion_lookback_minutes of the latest
      load, and every row without an ingestion time. -#}
{% macro hourly_test_scope(relation) -%}
    {%- if invocation_args_dict.get('selector') != 'hourly' or relation is string -%}
        {{ return('') }}
    {%- endif -%}
    {%- set name = relation.identifier -%}
    {%- if name in [
        'stg_conversation_events',
        'int_events_rolled_up_to_conversations',
        'int_conversation_event_dates',
        'int_agent_responses_rolled_up_to_conversation_models',
        'int_tool_calls_rolled_up_to_conversations',
        'fct_conversations',
        'fct_conversation_models',
    ] -%}
        {{ return(
            'staged_batch = (select max(latest.staged_batch) from ' ~ relation ~ ' as latest)'
        ) }}
    {%- endif -%}
    {%- if name in ['base_conversation_events', 'conversation_events_rejected'] -%}
        {#- The bound is read first and written in as a literal: as a
            subquery it stays above the view's typing, so each of these
            tests typed every raw row on every run (4 to 10 s each at 10M
            events); a literal reaches the raw table's scan. It is the
            cutoff incremental staging uses, taken over the typed rows:
            the latest loaded_at less the lookback, or 1900-01-01 less it
            when no row has one (then every row is read). -#}
        {%- set typed = relation.incorporate(path={'identifier': 'base_conversation_events'}) -%}
        {%- if not (execute and adapter.get_relation(typed.database, typed.schema, typed.identifier)) -%}
            {#- Not built yet (compiling alone): every row. -#}
            {{ return('') }}
        {%- endif -%}
        {%- set since = run_query(
            conversation_analytics.staged_ingestion_cutoff(typed)
        ).columns[0].values()[0] -%}
        {{ return(
            "(loaded_at is null or loaded_at > cast('" ~ since ~ "' as "
            ~ dbt.type_timestamp() ~ '))'
        ) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
