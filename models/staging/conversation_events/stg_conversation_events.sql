{#- The metadata keys staging reads, one column each: declared once, with
    their JSON types, in macros/metadata/metadata_keys.sql. -#}
{%- set metadata_keys = conversation_analytics.metadata_keys() | map(attribute='name') | list -%}
{#- (Checks the declaration first: a misspelt type fails with its key's name.) -#}
{%- do conversation_analytics.metadata_keys_to_conversation() -%}

{#- The columns of the base models, in order. -#}
{%- set base_columns = [
    'event_id', 'conversation_id', 'user_id', 'event_type', 'raw_event_type',
    'metadata_text', 'metadata_json', 'event_at', 'loaded_at', 'rejection_reason',
] -%}

{#- The parsed metadata of the base models (JSON text on Spark). -#}
{%- set metadata_json = conversation_analytics.json_column_value('metadata_json') -%}

{#- The columns this model compares copies on and writes, in order; the
    bookkeeping columns (batch, replaced copy) come after them. -#}
{%- set stg_columns = (
    ['event_id', 'conversation_id', 'user_id', 'event_type']
    + metadata_keys
    + ['has_invalid_metadata', 'event_at', 'is_rephrase', 'metadata_hash', 'loaded_at']
) -%}

{#- The columns a new copy and the staged copy of its id are ranked on,
    and where the staged copy was (its conversation and time). -#}
{%- set compared_columns = [
    'event_id', 'conversation_id', 'user_id', 'event_type', 'event_at', 'metadata_hash',
] -%}

{#- Incremental runs read the raw rows loaded since the latest ingestion
    time staged, less var('ingestion_lookback_minutes') for loads that
    commit out of order; a raw table without the ingestion-time column is
    read whole (exact, and slower). Either way every copy read competes
    with the staged copy of its id under the full build's order, so the
    earliest copy wins whatever the arrival order. -#}
{%- set raw_table = conversation_analytics.raw_events_relation() -%}
{%- set raw_column_types = conversation_analytics.source_column_types(raw_table) -%}
{%- set has_ingestion_time = 'loaded_at' in raw_column_types -%}

{#- Incremental, with the ingestion-time column: only the rows loaded since
    the cutoff; otherwise every row. The cutoff is read before the model's
    query and written into it as a literal: a bound given as a subquery
    stays above the base view's typing (DuckDB does not push it down), so
    every raw row would be typed; a literal reaches the raw table's scan. -#}
{%- set newly_loaded = '1 = 1' -%}
{%- if execute and is_incremental() and has_ingestion_time -%}
    {%- set cutoff = run_query(
        conversation_analytics.staged_ingestion_cutoff(this)
    ).columns[0].values()[0] -%}
    {%- set newly_loaded = "raw_events.loaded_at > cast('" ~ cutoff ~ "' as "
        ~ dbt.type_timestamp() ~ ')' -%}
{%- endif -%}

{#- Under raw retention (var raw_retention_days) this table is the record
    of the events whose raw rows are gone: never rebuilt from raw, neither
    by --full-refresh nor by a changed definition var (should_full_refresh). -#}
{#- On Spark, partitioned by staged_batch (staging_incremental_config). -#}
{{ config(
    unique_key='event_id',
    on_schema_change='fail',
    full_refresh=false if var('raw_retention_days', none) is not none else none,
    meta={'has_metadata_key_columns': true},
    indexes=[
        {'columns': ['event_id'], 'unique': true},
        {'columns': ['conversation_id']},
        {'columns': ['staged_batch']},
    ] if target.type == 'postgres' else [],
    **conversation_analytics.staging_incremental_config()
) }}

with

events_and_span_events as (

    -- With var('otel_spans_enabled'), the events of OpenTelemetry spans
    -- join the raw events here, before deduplication (staged_event_sources).
    {%- for base in conversation_analytics.staged_event_sources() %}
    {{ 'union all' if not loop.first }}
    select {{ base_columns | join(', ') }}
    from {{ base }}
    {%- endfor %}

),

valid_events as (

    select raw_events.* from events_and_span_events as raw_events
    where
        raw_events.rejection_reason is null
        and {{ newly_loaded }}

),

copies_hashed as (

    -- The metadata's hash breaks the last ties between copies, here and
    -- when a new copy meets the staged one, so both choose alike. Only the
    -- columns read after deduplication go on: the window below carries
    -- each one through its sort, and the metadata once rather than as
    -- both text and JSON (3.5 s less of 10M events on DuckDB).
    select
        event_id,
        conversation_id,
        user_id,
        event_type,
        metadata_json,
        event_at,
        loaded_at,
        metadata_text is not null as has_metadata_text,
        case
            when metadata_text is not null then {{ dbt.hash('metadata_text') }}
        end as metadata_hash
    from valid_events

),

copies_ranked as (

    -- At-least-once delivery: copies of one id are one event. Keep the
    -- earliest; the remaining keys make the choice total and repeatable.
    select
        *,
        row_number() over (
            partition by event_id
            order by
                event_at,
                conversation_id,
                event_type,
                user_id nulls last,
                metadata_hash nulls last
        ) as copy_rank
    from copies_hashed

),

deduplicated as (

    select * from copies_ranked
    where copy_rank = 1

),

metadata_checked as (

    select
        event_id,
        conversation_id,
        user_id,
        event_type,
        event_at,
        metadata_hash,
        loaded_at,
        -- Present but not a JSON object (unparseable text, an array, a
        -- scalar). A JSON null counts as absent, like SQL null.
        coalesce(
            has_metadata_text
            and {{ conversation_analytics.json_type_name(metadata_json) }} is distinct from 'null'
            and not coalesce({{ conversation_analytics.json_is_object(metadata_json) }}, false),
            false
        ) as has_invalid_metadata,
        {{ conversation_analytics.json_fields(
            'case when ' ~ conversation_analytics.json_is_object(metadata_json)
            ~ ' then ' ~ metadata_json ~ ' end',
            metadata_keys
        ) }} as metadata_fields
    from deduplicated

),

metadata_values_read as (

    -- Each key's value as text when it has the contract's JSON type
    -- (docs/event-contract.md): "turn": "three" or "agent_id": 42 are null.
    select
        {%- for key in conversation_analytics.metadata_keys() %}
        {{ conversation_analytics.json_typed_value(
            'metadata_fields', metadata_keys, key.name, key.json_type
        ) }} as {{ key.name }},
        {%- endfor %}
        *
    from metadata_checked

),

metadata_extracted as (

    -- Each value read as its key's type, one column per key of
    -- macros/metadata/metadata_keys.sql. The values are columns here, so
    -- text that needs no trimming skips the regular expression (clean_text).
    {%- set read_as = {
        'text': conversation_analytics.clean_text,
        'integer': conversation_analytics.safe_cast_integer,
        'double': conversation_analytics.safe_cast_double,
        'boolean': conversation_analytics.safe_cast_boolean,
    } %}

    select
        event_id,
        conversation_id,
        user_id,
        event_type,
        {%- for key in conversation_analytics.metadata_keys() %}
        {%- set typed = read_as[key.read_as](key.name) %}
        {{ 'lower(' ~ typed ~ ')' if key.get('lowercase') else typed }} as {{ key.name }},
        {%- endfor %}
        has_invalid_metadata,
        event_at,
        metadata_hash,
        loaded_at
    from metadata_values_read

),

rephrases_flagged as (

    -- A rephrase: a user message close to the previous one but not the
    -- same words (the rephrase rule, docs/metric-definitions.md).
    select
        *,
        coalesce(
            event_type = 'user_message'
            and similarity_to_previous >= {{ var('rephrase_similarity_threshold', 0.85) }}
            and not coalesce(is_exact_repeat, false),
            false
        ) as is_rephrase
    from metadata_extracted

),

{%- if is_incremental() %}

copies_already_staged as (

    -- Only the columns the copies compete on, and where the staged copy
    -- was: the staged side is never written. Reading every column of the
    -- staged table to find these copies made staging one day at 10M
    -- events take 20.6 s instead of 12.2 s.
    select
        {{ compared_columns | join(', ') }}
    from {{ this }}
    where event_id in (select flagged.event_id from rephrases_flagged as flagged)

),

copies_compared as (

    -- A copy staged by an earlier run competes with the new ones under the
    -- full build's order; on a full tie the staged copy stays, so reruns
    -- never flip.
    select
        candidates.*,
        row_number() over (
            partition by candidates.event_id
            order by
                candidates.event_at asc,
                candidates.conversation_id asc,
                candidates.event_type asc,
                candidates.user_id asc nulls last,
                candidates.metadata_hash asc nulls last,
                candidates.is_already_staged desc
        ) as staged_rank
    from (
        select
            {{ compared_columns | join(', ') }},
            0 as is_already_staged
        from rephrases_flagged
        union all
        select
            {{ compared_columns | join(', ') }},
            1 as is_already_staged
        from copies_already_staged
    ) as candidates

),

new_events as (

    -- Only events that are new or replace a staged copy are written (the
    -- new rows hold one copy per id); a replacement records where and
    -- when the copy it replaces was, so the conversation and the day that
    -- lose the event are rebuilt too.
    select
        {% for column in stg_columns -%}
        flagged.{{ column }},
        {% endfor -%}
        replaced.conversation_id as replaced_conversation_id,
        replaced.event_at as replaced_event_at
    from rephrases_flagged as flagged
    inner join copies_compared as winners
        on flagged.event_id = winners.event_id
    left join copies_already_staged as replaced
        on flagged.event_id = replaced.event_id
    where winners.staged_rank = 1 and winners.is_already_staged = 0

),

batch_numbered as (

    select coalesce(max(staged_batch), 0) + 1 as staged_batch
    from {{ this }}

),

{%- else %}

new_events as (

    select
        *,
        cast(null as {{ dbt.type_string() }}) as replaced_conversation_id,
        cast(null as {{ dbt.type_timestamp() }}) as replaced_event_at
    from rephrases_flagged

),

batch_numbered as (

    -- A full build goes on from the batch numbers of the table it
    -- replaces, so models downstream that were not rebuilt with it still
    -- see every event as new. The number is read before the build, as a
    -- literal: Spark drops the table it replaces before writing the new one.
    {%- set previous = adapter.get_relation(this.database, this.schema, this.identifier)
        if execute and this is not none else none %}
    {%- set previous_columns = adapter.get_columns_in_relation(previous)
        | map(attribute='name') | map('lower') | list if previous else [] %}
    {%- set previous_batch = run_query(
        'select coalesce(max(staged_batch), 0) from ' ~ previous
    ).columns[0].values()[0] if 'staged_batch' in previous_columns else 0 %}
    select cast({{ previous_batch | int }} as {{ dbt.type_bigint() }}) + 1 as staged_batch

),

{%- endif %}

events_stamped as (

    -- The batch number is the watermark models downstream resume from:
    -- it comes from this table, never from a clock.
    select
        new_events.*,
        cast(batch_numbered.staged_batch as {{ dbt.type_bigint() }}) as staged_batch
    from new_events
    cross join batch_numbered

)

select * from events_stamped
