{#- Text to a boolean: "true"/"false" in any case, else null. -#}
{% macro safe_cast_boolean(text_expr) -%}
    case
        when lower({{ text_expr }}) = 'true' then true
        when lower({{ text_expr }}) = 'false' then false
    end
{%- endmacro %}
