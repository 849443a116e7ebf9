{#- The definition vars in force (definition_vars) and the metadata keys
    (metadata_keys: names, types and rules, not descriptions) as one text,
    for comparing with the fingerprint stored when a model was last built:
    a new key is a new column of the incremental models, and rows built
    before it would hold null there, so they are rebuilt in full. -#}
{% macro definitions_fingerprint() -%}
    {%- set parts = [] -%}
    {%- for name in conversation_analytics.definition_vars() -%}
        {%- do parts.append(name ~ '=' ~ (var(name, none) | string)) -%}
    {%- endfor -%}
    {%- set keys = [] -%}
    {%- for key in conversation_analytics.metadata_keys() -%}
        {%- do keys.append([
            key.name, key.json_type, key.read_as,
            key.get('lowercase', false), key.get('to_conversation'),
        ] | join(':')) -%}
    {%- endfor -%}
    {%- do parts.append('metadata_keys=' ~ keys | join(',')) -%}
    {#- A new pseudonymisation key changes every pseudonym: recorded as a
        hash of the key, never the key. -#}
    {%- if var('pseudonymize_user_ids', false) -%}
        {%- do parts.append('user_id_key_md5=' ~ local_md5(
            'conversation_analytics user id key: ' ~ env_var('CA_USER_ID_HMAC_KEY', '')
        )) -%}
    {%- endif -%}
    {{ return(parts | join(';')) }}
{%- endmacro %}
