{#- The user id as the marts show it: the id itself, or with the var
    pseudonymize_user_ids on, its keyed hash (HMAC-SHA256 under the key in
    the environment variable CA_USER_ID_HMAC_KEY, as 64 lowercase hex
    digits). The same id always gives the same pseudonym under one key, so
    counts of distinct users and joins between marts still hold; without
    the key nobody can tell which id a pseudonym stands for. Null stays
    null. -#}
{% macro pseudonymized_user_id(column) -%}
    {%- if not var('pseudonymize_user_ids', false) -%}
        {{ return(column) }}
    {%- endif -%}
    {{ return(conversation_analytics.hmac_sha256_hex(
        conversation_analytics.user_id_hmac_key(), column
    )) }}
{%- endmacro %}
