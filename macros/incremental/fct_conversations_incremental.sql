{#- How fct_conversations writes an incremental run, as config. On DuckDB
    and PostgreSQL: keyed by `conversation_id` (delete+insert), with
    `indexes` on PostgreSQL and the pre-hook delete_vanished_conversations.
    On Spark, whose plain Parquet tables have no DELETE: partitioned by
    `started_date`; the pre-hook spark_drop_conversation_dates drops the
    days a run rebuilds, and the run writes them
    again whole (insert_overwrite, dynamic partitions). -#}
{% macro fct_conversations_incremental_config() -%}
    {{ return(adapter.dispatch(
        'fct_conversations_incremental_config', 'conversation_analytics'
    )()) }}
{%- endmacro %}

{% macro default__fct_conversations_incremental_config() -%}
    {{ return({
        'materialized': 'incremental',
        'unique_key': 'conversation_id',
        'incremental_strategy': 'delete+insert',
        'on_schema_change': 'fail',
        'pre_hook': '{{ conversation_analytics.delete_vanished_conversations() }}',
        'indexes': [
            {'columns': ['conversation_id'], 'unique': true},
            {'columns': ['started_date']},
        ] if target.type == 'postgres' else [],
    }) }}
{%- endmacro %}

{% macro spark__fct_conversations_incremental_config() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': ['started_date'],
        'on_schema_change': 'fail',
        'pre_hook': '{{ conversation_analytics.spark_drop_conversation_dates() }}',
    }) }}
{%- endmacro %}

{#- The condition that keeps, on an incremental run of fct_conversations,
    the conversations it writes again. On DuckDB and PostgreSQL: those
    rolled up again since its last run, and the open ones, which time out
    as the as-of time moves on. On Spark: every conversation of the days
    it rebuilds (spark_conversation_dates_to_rebuild), written in the query
    as dates, read before the pre-hook drops them. -#}
{% macro fct_conversations_to_rebuild() -%}
    {{ return(adapter.dispatch('fct_conversations_to_rebuild', 'conversation_analytics')()) }}
{%- endmacro %}

{% macro default__fct_conversations_to_rebuild() -%}
    staged_batch > {{ conversation_analytics.last_staged_batch(this) }}
    or conversation_id in (
        select open_conversations.conversation_id
        from {{ this }} as open_conversations
        where open_conversations.outcome = 'in_progress'
    )
{%- endmacro %}

{% macro spark__fct_conversations_to_rebuild() -%}
    {%- set dates = [] -%}
    {%- if execute -%}
        {%- for value in run_query(
            conversation_analytics.spark_conversation_dates_to_rebuild()
        ).columns[0].values() | reject('none') -%}
            {%- do dates.append("cast('" ~ (value | string)[:10] ~ "' as date)") -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if dates -%}
        started_date in ({{ dates | unique | join(', ') }})
    {%- else -%}
        1 = 0
    {%- endif -%}
{%- endmacro %}

{#- Spark only: a query of the days fct_conversations rebuilds on an
    incremental run: the start days of the conversations rolled up again
    since its last run, before and after the change (one whose every event
    moved to another conversation leaves its old day here), and the days
    that hold an open conversation. -#}
{% macro spark_conversation_dates_to_rebuild() -%}
    select scored.started_date
    from {{ ref('int_conversations_scored') }} as scored
    where scored.staged_batch > {{ conversation_analytics.last_staged_batch(this) }}
    union
    select stored.started_date
    from {{ this }} as stored
    where
        stored.conversation_id in ({{ conversation_analytics.changed_conversations() }})
        or stored.outcome = 'in_progress'
{%- endmacro %}

{#- Spark's pre-hook of fct_conversations: on an incremental run, drop the
    partitions of the days it rebuilds (spark_conversation_dates_to_rebuild),
    so a day left with no conversation keeps no stale row. -#}
{% macro spark_drop_conversation_dates() -%}
    {%- if execute and is_incremental() -%}
        {%- do conversation_analytics.spark_drop_partitions(
            'started_date', conversation_analytics.spark_conversation_dates_to_rebuild()
        ) -%}
    {%- endif -%}
    select 1
{%- endmacro %}
