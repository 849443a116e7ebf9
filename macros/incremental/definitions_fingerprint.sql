{#- The definition vars in force (definition_vars) as one text, for
    comparing with the fingerprint stored when a model was last built. -#}
{% macro definitions_fingerprint() -%}
    {%- set parts = [] -%}
    {%- for name in conversation_analytics.definition_vars() -%}
        {%- do parts.append(name ~ '=' ~ (var(name, none) | string)) -%}
    {%- endfor -%}
    {#- A new pseudonymisation key changes every pseudonym: recorded as a
        hash of the key, never the key. -#}
    {%- if var('pseudonymize_user_ids', false) -%}
        {%- do parts.append('user_id_key_md5=' ~ local_md5(
            'conversation_analytics user id key: ' ~ env_var('CA_USER_ID_HMAC_KEY', '')
        )) -%}
    {%- endif -%}
    {{ return(parts | join(';')) }}
{%- endmacro %}
