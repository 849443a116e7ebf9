{#- The definition vars in force (definition_vars) as one text, for
    comparing with the fingerprint stored when a model was last built. -#}
{% macro definitions_fingerprint() -%}
    {%- set parts = [] -%}
    {%- for name in conversation_analytics.definition_vars() -%}
        {%- do parts.append(name ~ '=' ~ (var(name, none) | string)) -%}
    {%- endfor -%}
    {{ return(parts | join(';')) }}
{%- endmacro %}
