{#- on-run-start: fail the run with one line when the raw table lacks a
    column of the contract (docs/event-contract.md), naming the columns it
    lacks, instead of a type error deep inside a model or a unit test.
    Extra columns are fine; a missing table is left to the models' own
    error (and the command line says to load events first). With var
    otel_spans_enabled, the span table is checked the same way. -#}
{% macro check_raw_columns() -%}
    {%- if execute -%}
        {%- set named = conversation_analytics.raw_events_relation() -%}
        {%- set raw = adapter.get_relation(
            database=named.database, schema=named.schema, identifier=named.identifier
        ) -%}
        {%- if raw is not none -%}
            {%- set present = [] -%}
            {%- for column in adapter.get_columns_in_relation(raw) -%}
                {%- do present.append(column.name | lower) -%}
            {%- endfor -%}
            {%- set missing = [] -%}
            {%- for name in conversation_analytics.raw_columns() if name not in present -%}
                {%- do missing.append(name) -%}
            {%- endfor -%}
            {%- if missing -%}
                {{ exceptions.raise_compiler_error(
                    raw ~ ' lacks the column' ~ ('s ' if missing | length > 1 else ' ')
                    ~ missing | join(', ') ~ ' of the event contract (id, conversation_id, '
                    ~ 'user_id, event_type, timestamp, metadata; docs/event-contract.md): '
                    ~ 'add it, null where unknown'
                ) }}
            {%- endif -%}
        {%- endif -%}
        {%- if var('otel_spans_enabled', false) | string | lower == 'true' -%}
            {%- set spans = adapter.get_relation(
                database=target.database,
                schema=var('otel_spans_schema', none) or var('raw_schema', 'raw'),
                identifier=var('otel_spans_table', 'otel_spans'),
            ) -%}
            {%- if spans is not none -%}
                {%- set present = [] -%}
                {%- for column in adapter.get_columns_in_relation(spans) -%}
                    {%- do present.append(column.name | lower) -%}
                {%- endfor -%}
                {%- set missing = [] -%}
                {%- for name in conversation_analytics.span_columns() if name not in present -%}
                    {%- do missing.append(name) -%}
                {%- endfor -%}
                {%- if missing -%}
                    {{ exceptions.raise_compiler_error(
                        spans ~ ' lacks the column' ~ ('s ' if missing | length > 1 else ' ')
                        ~ missing | join(', ') ~ ' of the span table (docs/opentelemetry.md): '
                        ~ 'add it, null where unknown, or load with '
                        ~ '`conversation-analytics load --format otlp-json`'
                    ) }}
                {%- endif -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}
