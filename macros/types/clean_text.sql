{#- Text with surrounding Unicode whitespace removed, and empty or
    all-whitespace text as null (the event contract,
    docs/event-contract.md: blank counts as missing). One rule on every
    target: space, tab, newline, carriage return, vertical tab, form feed,
    U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F,
    U+3000 and the byte order mark U+FEFF. -#}
{% macro clean_text(text_expr) -%}
    {%- set cleaned = adapter.dispatch('clean_text', 'conversation_analytics')(text_expr) -%}
    {#- A fast path for a column: text that starts and ends with a
        printable ASCII character that is not a space has nothing to trim,
        and is taken as it is, without the regular expression (most ids and
        payloads; 2.4 s of 10M raw rows per column on DuckDB). Only for a
        column name, which costs nothing to read three times. -#}
    {%- if modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_]*|"[^"]+"', text_expr | trim) -%}
        {%- set text = 'cast(' ~ text_expr ~ ' as ' ~ dbt.type_string() ~ ')' -%}
        case
            when ascii({{ text }}) between 33 and 126 and ascii(right({{ text }}, 1)) between 33 and 126
                then {{ text }}
            else {{ cleaned }}
        end
    {%- else -%}
        {{ cleaned }}
    {%- endif -%}
{%- endmacro %}

{% macro default__clean_text(text_expr) -%}
    {{ conversation_analytics.adapter_not_supported('clean_text') }}
{%- endmacro %}

{#- PostgreSQL's regular expressions spell a character \uXXXX (the
    database encoding must be UTF8, as initdb's default is). -#}
{% macro postgres__clean_text(text_expr) -%}
    {%- set space = '[ \\t\\n\\r\\v\\f\\u0085\\u00a0\\u1680\\u2000-\\u200a'
        ~ '\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]' -%}
    nullif(regexp_replace(
        cast({{ text_expr }} as {{ dbt.type_string() }}),
        '^{{ space }}+|{{ space }}+$', '', 'g'
    ), '')
{%- endmacro %}

{#- DuckDB's regular expressions (RE2) spell a character \x{XXXX}. -#}
{% macro duckdb__clean_text(text_expr) -%}
    {%- set space = '[ \\t\\n\\r\\v\\f\\x{0085}\\x{00a0}\\x{1680}\\x{2000}-\\x{200a}'
        ~ '\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}]' -%}
    nullif(regexp_replace(
        cast({{ text_expr }} as {{ dbt.type_string() }}),
        '^{{ space }}+|{{ space }}+$', '', 'g'
    ), '')
{%- endmacro %}

{#- Spark's string literals turn \\uXXXX into the character itself (and
    would drop the backslash of \\v or \\x), so the class lists every
    character that way; Java's regular expressions take them as they are. -#}
{% macro spark__clean_text(text_expr) -%}
    {%- set space = '[\\u0020\\u0009\\u000a\\u000d\\u000b\\u000c\\u0085\\u00a0\\u1680'
        ~ '\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]' -%}
    nullif(regexp_replace(
        cast({{ text_expr }} as {{ dbt.type_string() }}),
        '^{{ space }}+|{{ space }}+$', ''
    ), '')
{%- endmacro %}
