{#- `dbt run-operation apply_raw_retention --vars '{raw_retention_days: N}'`:
    delete the raw rows loaded (loaded_at) more than N days ago that the
    pipeline has already seen, and log how many. Staging is then the record
    of those events (it is never rebuilt from raw while the var is set).

    A row goes only when all of these hold:
    - it was loaded before now (the warehouse's clock) minus N days;
    - incremental staging no longer reads it: it was loaded at or before the
      latest ingestion time staged less ingestion_lookback_minutes, the
      cutoff stg_conversation_events applies (so a late copy that could
      still win its id, or a row of a load that committed out of order,
      stays);
    - its event id is staged, or it is quarantined (its id is in
      conversation_events_rejected, or it has none).
    A row loaded before the cutoff that staging has not read yet stays.

    Stops with one line when the var is null or the raw table has no
    loaded_at column. -#}
{% macro apply_raw_retention() -%}
    {%- set days = var('raw_retention_days', none) -%}
    {%- if days is none -%}
        {{ exceptions.raise_compiler_error(
            'apply_raw_retention: the var raw_retention_days is null; give the days of raw'
            ~ " rows to keep, e.g. --vars '{raw_retention_days: 90}'"
        ) }}
    {%- endif -%}
    {%- set raw_table = source('conversation_events', 'conversation_events') -%}
    {%- if adapter.get_relation(raw_table.database, raw_table.schema, raw_table.identifier)
        is none -%}
        {{ exceptions.raise_compiler_error(
            'apply_raw_retention: the raw table ' ~ raw_table ~ ' does not exist'
        ) }}
    {%- endif -%}
    {%- set column_types = conversation_analytics.source_column_types(raw_table) -%}
    {%- if 'loaded_at' not in column_types -%}
        {{ exceptions.raise_compiler_error(
            'apply_raw_retention: ' ~ raw_table ~ ' has no ingestion-time column loaded_at,'
            ~ ' so retention cannot tell how old its rows are (docs/event-contract.md says'
            ~ ' how to add it)'
        ) }}
    {%- endif -%}
    {%- set staged = ref('stg_conversation_events') -%}
    {%- set rejected = ref('conversation_events_rejected') -%}
    {%- for relation in (staged, rejected) -%}
        {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier)
            is none -%}
            {{ exceptions.raise_compiler_error(
                'apply_raw_retention: ' ~ relation ~ ' does not exist: run dbt build first'
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set loaded_at = conversation_analytics.timestamp_to_utc(
        'loaded_at', column_types.get('loaded_at')
    ) -%}
    {%- set event_id = conversation_analytics.clean_text('id') -%}
    {%- set now = conversation_analytics.zoned_timestamp_to_utc(dbt.current_timestamp()) -%}
    {%- set unread_since = '(' ~ conversation_analytics.staged_ingestion_cutoff(staged) ~ ')' -%}
    {%- set expired -%}
        {{ loaded_at }} < {{ dbt.dateadd('day', -1 * days | int, now) }}
        and {{ loaded_at }} <= {{ unread_since }}
        and (
            {{ event_id }} is null
            or {{ event_id }} in (select staged.event_id from {{ staged }} as staged)
            or {{ event_id }} in (
                select rejected.event_id from {{ rejected }} as rejected
                where rejected.event_id is not null
            )
        )
    {%- endset -%}
    {#- Counted, then deleted, in one transaction (erase_rows). -#}
    {%- set deleted = conversation_analytics.erase_rows(raw_table, expired) -%}
    {%- do adapter.commit() -%}
    {%- do log(
        'apply_raw_retention: deleted ' ~ deleted ~ ' raw rows loaded more than ' ~ days
        ~ ' days ago from ' ~ raw_table ~ ' (their events are kept in ' ~ staged ~ ')',
        info=true
    ) -%}
{%- endmacro %}
