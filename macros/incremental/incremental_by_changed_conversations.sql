{#- The incremental pattern of the intermediate models keyed by
    conversation that read staging, in one call after the `from` of their
    events import CTE. It configures the model: incremental, keyed by
    `conversation_id` (delete+insert), with `indexes` on PostgreSQL and the
    pre-hook delete_changed_conversations(), which empties the changed
    conversations first, so one that lost all its events is gone. And it
    renders, on an incremental run only, the `where` clause that keeps the
    events of the conversations changed since the model's last run
    (changed_conversations), all of them, so each is computed again from
    all its events; nothing on a full build. -#}
{% macro incremental_by_changed_conversations(indexes=[]) -%}
    {%- do config(
        materialized=conversation_analytics.incremental_materialization(),
        unique_key='conversation_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        indexes=indexes if target.type == 'postgres' else [],
        pre_hook="{{ conversation_analytics.delete_changed_conversations() }}",
    ) -%}
    {%- if is_incremental() -%}
        where conversation_id in ({{ conversation_analytics.changed_conversations() }})
    {%- endif -%}
{%- endmacro %}
