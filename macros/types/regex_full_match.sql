{#- True when the whole of text_expr matches the regular expression. -#}
{% macro regex_full_match(text_expr, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'conversation_analytics')(text_expr, pattern)) }}
{%- endmacro %}

{% macro default__regex_full_match(text_expr, pattern) -%}
    {{ conversation_analytics.adapter_not_supported('regex_full_match') }}
{%- endmacro %}

{% macro postgres__regex_full_match(text_expr, pattern) -%}
    ({{ text_expr }} ~ '^(?:{{ pattern }})$')
{%- endmacro %}

{% macro duckdb__regex_full_match(text_expr, pattern) -%}
    regexp_full_match({{ text_expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regex_full_match(text_expr, pattern) -%}
    ({{ text_expr }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}
