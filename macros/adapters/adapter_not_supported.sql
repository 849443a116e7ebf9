{#- Raises the compile error of a dispatched macro that has no portable
    default: the macro has no implementation for the current adapter. Only
    when a node is compiled for running (`execute`), not while dbt parses
    every file: a model that is disabled on this adapter (the
    OpenTelemetry models without var otel_spans_enabled) must not stop the
    run. -#}
{% macro adapter_not_supported(macro_name) -%}
    {%- if execute -%}
        {{ exceptions.raise_compiler_error(
            macro_name ~ " is not supported on adapter " ~ adapter.type()
            ~ ": add a " ~ adapter.type() ~ "__" ~ macro_name ~ " implementation"
        ) }}
    {%- endif -%}
{%- endmacro %}
