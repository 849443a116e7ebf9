{#- on-run-start: fail the run with one line when the raw table lacks a
    column of the contract (docs/event-contract.md), naming the columns it
    lacks, instead of a type error deep inside a model or a unit test.
    Extra columns are fine; a missing table is left to the models' own
    error (and the command line says to load events first). With var
    otel_spans_enabled, the span table is checked the same way, and with
    var langfuse_enabled the Langfuse tables. -#}
{% macro check_raw_columns() -%}
    {%- if execute -%}
        {{ conversation_analytics.check_table_columns(
            conversation_analytics.raw_events_relation(),
            conversation_analytics.raw_columns(),
            'of the event contract (id, conversation_id, user_id, event_type, timestamp, '
            ~ 'metadata; docs/event-contract.md): add it, null where unknown',
        ) }}
        {%- if var('otel_spans_enabled', false) | string | lower == 'true' -%}
            {{ conversation_analytics.check_table_columns(
                conversation_analytics.raw_relation(
                    var('otel_spans_schema', none) or var('raw_schema', 'raw'),
                    var('otel_spans_table', 'otel_spans'),
                ),
                conversation_analytics.span_columns(),
                'of the span table (docs/opentelemetry.md): add it, null where unknown, '
                ~ 'or load with `conversation-analytics load --format otlp-json`',
            ) }}
        {%- endif -%}
        {%- if var('langfuse_enabled', false) | string | lower == 'true' -%}
            {%- for table, columns in conversation_analytics.langfuse_columns().items() -%}
                {{ conversation_analytics.check_table_columns(
                    conversation_analytics.raw_relation(
                        var('langfuse_schema', none) or var('raw_schema', 'raw'), table
                    ),
                    columns,
                    'of the Langfuse export (docs/langfuse.md): add it, null where unknown, '
                    ~ 'or load with `conversation-analytics load --format langfuse`',
                ) }}
            {%- endfor -%}
        {%- endif -%}
    {%- endif %}
    select 1
{%- endmacro %}

{#- Raise one line naming the `expected` columns `relation` lacks, followed
    by `what_to_do`; nothing when it has them all or does not exist. -#}
{% macro check_table_columns(relation, expected, what_to_do) -%}
    {%- set table = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) -%}
    {%- if table is not none -%}
        {%- set present = [] -%}
        {%- for column in adapter.get_columns_in_relation(table) -%}
            {%- do present.append(column.name | lower) -%}
        {%- endfor -%}
        {%- set missing = [] -%}
        {%- for name in expected if name not in present -%}
            {%- do missing.append(name) -%}
        {%- endfor -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                table ~ ' lacks the column' ~ ('s ' if missing | length > 1 else ' ')
                ~ missing | join(', ') ~ ' ' ~ what_to_do
            ) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
