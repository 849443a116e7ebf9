{#- A JSON value parsed from text, or null when the text is not valid JSON.
    Never raises, so one malformed payload cannot fail a build. -#}
{% macro parse_json_text(text_expr) -%}
    {{ return(adapter.dispatch('parse_json_text', 'conversation_analytics')(text_expr)) }}
{%- endmacro %}

{% macro default__parse_json_text(text_expr) -%}
    {{ conversation_analytics.adapter_not_supported('parse_json_text') }}
{%- endmacro %}

{% macro postgres__parse_json_text(text_expr) -%}
    {#- PostgreSQL before 16 has no safe cast to jsonb: the function comes
        from the on-run-start hook create_json_functions(). -#}
    {{ conversation_analytics.json_functions_schema() }}.ca_try_parse_jsonb({{ text_expr }})
{%- endmacro %}

{% macro duckdb__parse_json_text(text_expr) -%}
    case when json_valid({{ text_expr }}) then cast({{ text_expr }} as json) end
{%- endmacro %}

{#- Spark 4's VARIANT keeps each JSON value with its type. -#}
{% macro spark__parse_json_text(text_expr) -%}
    try_parse_json({{ text_expr }})
{%- endmacro %}
