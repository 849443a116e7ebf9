{#- Metadata JSON text as the raw event table types its metadata column:
    cast to json/jsonb when `metadata_type` is one of them, else parsed
    safely (parse_json_text), so a mapped source's rows union with the raw
    events' in staging. -#}
{% macro metadata_text_as_json(text_expr, metadata_type) -%}
    {%- if (metadata_type or '') | lower in ('json', 'jsonb') -%}
        cast({{ text_expr }} as {{ metadata_type | lower }})
    {%- else -%}
        {{ conversation_analytics.parse_json_text(text_expr) }}
    {%- endif -%}
{%- endmacro %}
