{#- The incremental pattern of the intermediate models keyed by
    conversation that read staging, in one call after the `from` of their
    events import CTE. It configures the model (changed_conversations_config:
    how the warehouse replaces a changed conversation's rows) and renders,
    on an incremental run only, the `where` clause that keeps the events of
    the conversations changed since the model's last run
    (changed_conversations), all of them, so each is computed again from
    all its events; nothing on a full build. -#}
{% macro incremental_by_changed_conversations(indexes=[]) -%}
    {%- do config(**conversation_analytics.changed_conversations_config(indexes)) -%}
    {%- if is_incremental() -%}
        where conversation_id in ({{ conversation_analytics.changed_conversations() }})
    {%- endif -%}
{%- endmacro %}
