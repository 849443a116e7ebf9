{#- The base models staging reads events from, each with the columns of
    base_conversation_events: the raw events, and with var
    otel_spans_enabled the events of OpenTelemetry spans
    (docs/opentelemetry.md), with var langfuse_enabled those of a Langfuse
    export (docs/langfuse.md). stg_conversation_events unions them before
    deduplication; conversation_events_rejected unions their rejected rows. -#}
{% macro staged_event_sources() -%}
    {%- set sources = [ref('base_conversation_events')] -%}
    {%- if var('otel_spans_enabled', false) | string | lower == 'true' -%}
        {%- do sources.append(ref('base_otel_conversation_events')) -%}
    {%- endif -%}
    {%- if var('langfuse_enabled', false) | string | lower == 'true' -%}
        {%- do sources.append(ref('base_langfuse_conversation_events')) -%}
    {%- endif -%}
    {{ return(sources) }}
{%- endmacro %}
