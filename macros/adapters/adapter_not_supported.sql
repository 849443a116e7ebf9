{#- Raises the compile error of a dispatched macro that has no portable
    default: the macro has no implementation for the current adapter. -#}
{% macro adapter_not_supported(macro_name) -%}
    {{ exceptions.raise_compiler_error(
        macro_name ~ " is not supported on adapter " ~ adapter.type()
        ~ ": add a " ~ adapter.type() ~ "__" ~ macro_name ~ " implementation"
    ) }}
{%- endmacro %}
