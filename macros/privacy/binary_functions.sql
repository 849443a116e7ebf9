{#- The byte functions hmac_sha256_hex needs, per warehouse. -#}

{#- SHA-256 of a binary value, as 64 lowercase hex digits. -#}
{% macro sha256_hex(binary) -%}
    {{ return(adapter.dispatch('sha256_hex', 'conversation_analytics')(binary)) }}
{%- endmacro %}

{% macro default__sha256_hex(binary) -%}
    lower(sha2({{ binary }}, 256))
{%- endmacro %}

{% macro duckdb__sha256_hex(binary) -%}
    sha256({{ binary }})
{%- endmacro %}

{% macro postgres__sha256_hex(binary) -%}
    encode(sha256({{ binary }}), 'hex')
{%- endmacro %}


{#- Hex digits (a text expression) as the binary value they spell. -#}
{% macro hex_to_binary(hex_text) -%}
    {{ return(adapter.dispatch('hex_to_binary', 'conversation_analytics')(hex_text)) }}
{%- endmacro %}

{% macro default__hex_to_binary(hex_text) -%}
    unhex({{ hex_text }})
{%- endmacro %}

{% macro postgres__hex_to_binary(hex_text) -%}
    decode({{ hex_text }}, 'hex')
{%- endmacro %}


{#- A text expression as its UTF-8 bytes. -#}
{% macro text_to_binary(text) -%}
    {{ return(adapter.dispatch('text_to_binary', 'conversation_analytics')(text)) }}
{%- endmacro %}

{% macro default__text_to_binary(text) -%}
    encode({{ text }}, 'UTF-8')
{%- endmacro %}

{% macro duckdb__text_to_binary(text) -%}
    encode({{ text }})
{%- endmacro %}

{% macro postgres__text_to_binary(text) -%}
    convert_to({{ text }}, 'UTF8')
{%- endmacro %}
