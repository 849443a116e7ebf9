{#- pre-hook of the models keyed by conversation that read staging (set by
    incremental_by_changed_conversations): on an incremental run, delete
    the rows of the conversations changed since the model's watermark, so
    a conversation whose every event moved to another one (a re-delivered
    copy with another conversation_id and an earlier time) does not keep
    its stale row. The model then writes every changed conversation that
    still has events. -#}
{% macro delete_changed_conversations() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where conversation_id in ({{ conversation_analytics.changed_conversations() }})
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
