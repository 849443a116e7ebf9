{#- A timestamp held as text, as a UTC timestamp without time zone; null
    when the text is not a timestamp ('NaN', '2026-02-30', 'soon'), so one
    bad value is quarantined as a missing timestamp instead of failing the
    build. Text with a UTC offset ('...+02', '...Z') is converted to UTC;
    text without one is taken to be UTC already. -#}
{% macro text_timestamp_to_utc(text_expr) -%}
    {{ return(adapter.dispatch('text_timestamp_to_utc', 'conversation_analytics')(text_expr)) }}
{%- endmacro %}

{% macro default__text_timestamp_to_utc(text_expr) -%}
    {{ conversation_analytics.adapter_not_supported('text_timestamp_to_utc') }}
{%- endmacro %}

{% macro postgres__text_timestamp_to_utc(text_expr) -%}
    {#- PostgreSQL has no safe cast: the function comes from the on-run-start
        hook create_json_functions(). -#}
    {{ conversation_analytics.json_functions_schema() }}.ca_try_parse_utc_timestamp({{ text_expr }})
{%- endmacro %}

{% macro duckdb__text_timestamp_to_utc(text_expr) -%}
    case
        when regexp_matches(
            {{ text_expr }}, '[0-9]:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?\s*(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)\s*$'
        )
            then timezone('UTC', try_cast({{ text_expr }} as timestamptz))
        else try_cast({{ text_expr }} as timestamp)
    end
{%- endmacro %}

{#- try_cast reads a UTC offset when the text has one and takes the
    session's time zone (UTC) otherwise; never raises, also in ANSI mode. -#}
{% macro spark__text_timestamp_to_utc(text_expr) -%}
    try_cast({{ text_expr }} as timestamp)
{%- endmacro %}
