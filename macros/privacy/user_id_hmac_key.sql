{#- The secret key for pseudonymized_user_id, from the environment variable
    CA_USER_ID_HMAC_KEY. Fails with one line when pseudonymisation is on and
    the key is missing, or longer than one SHA-256 block (64 bytes), since a
    missing key must never fall back to storing raw ids. While dbt only
    parses the project it returns a stand-in, never rendered into a run. -#}
{% macro user_id_hmac_key() -%}
    {%- set key = env_var('CA_USER_ID_HMAC_KEY', '') -%}
    {%- if not execute -%}
        {{ return(key or 'parse-time stand-in') }}
    {%- endif -%}
    {%- set problem = conversation_analytics.user_id_hmac_key_problem(key) -%}
    {%- if problem -%}
        {{ exceptions.raise_compiler_error(problem) }}
    {%- endif -%}
    {{ return(key) }}
{%- endmacro %}


{#- Why the key cannot be used (see user_id_hmac_key), or an empty text. -#}
{% macro user_id_hmac_key_problem(key) -%}
    {%- if key | length == 0 -%}
        {{ return(
            'pseudonymize_user_ids is on but the environment variable CA_USER_ID_HMAC_KEY '
            ~ 'is not set: set it to a secret of at most 64 bytes (for example the output '
            ~ 'of `openssl rand -hex 32`) or turn the var off'
        ) }}
    {%- endif -%}
    {%- if key.encode('utf-8') | length > 64 -%}
        {{ return(
            'the environment variable CA_USER_ID_HMAC_KEY holds '
            ~ key.encode('utf-8') | length ~ ' bytes: use a key of at most 64 bytes '
            ~ '(for example the output of `openssl rand -hex 32`)'
        ) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
