{#- Trimmed text, with blank or all-space text as null (the event contract,
    docs/event-contract.md: blank counts as missing). -#}
{% macro clean_text(text_expr) -%}
    nullif(trim(cast({{ text_expr }} as {{ dbt.type_string() }})), '')
{%- endmacro %}
