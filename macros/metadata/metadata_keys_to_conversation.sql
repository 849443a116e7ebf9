{#- The metadata keys (metadata_keys) carried to the conversation, checked:
    an unknown `to_conversation` rule, JSON type or column type fails the
    run with a message naming the key, rather than building a wrong column. -#}
{% macro metadata_keys_to_conversation() -%}
    {%- set carried = [] -%}
    {%- for key in conversation_analytics.metadata_keys() -%}
        {%- if key.json_type not in ('string', 'number', 'boolean') -%}
            {{ exceptions.raise_compiler_error(
                "metadata_keys: key '" ~ key.name ~ "' has json_type '" ~ key.json_type
                ~ "'; use 'string', 'number' or 'boolean'"
            ) }}
        {%- endif -%}
        {%- if key.read_as not in ('text', 'integer', 'double', 'boolean') -%}
            {{ exceptions.raise_compiler_error(
                "metadata_keys: key '" ~ key.name ~ "' has read_as '" ~ key.read_as
                ~ "'; use 'text', 'integer', 'double' or 'boolean'"
            ) }}
        {%- endif -%}
        {%- set rule = key.get('to_conversation') -%}
        {%- if rule is not none and rule != 'earliest' -%}
            {{ exceptions.raise_compiler_error(
                "metadata_keys: key '" ~ key.name ~ "' has to_conversation '" ~ rule
                ~ "'; the only rule is 'earliest' (leave it out to keep the key on events)"
            ) }}
        {%- endif -%}
        {%- if rule == 'earliest' -%}
            {%- do carried.append(key) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(carried) }}
{%- endmacro %}
