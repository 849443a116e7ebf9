{#- dbt's own should_full_refresh(), which the incremental materialization
    and is_incremental() ask, overridden: an incremental model is also
    rebuilt in full when a definition var changed since its last build, so
    a changed rule reaches every stored row, not only the rows a run
    touches. The log line says why. (dbt uses this override when the
    project is the root project.) -#}
{% macro should_full_refresh() -%}
    {%- set configured = config.get('full_refresh') -%}
    {%- if configured is none -%}
        {%- set configured = flags.FULL_REFRESH -%}
    {%- endif -%}
    {%- if not configured and model.config.materialized == 'incremental'
        and conversation_analytics.definitions_changed() -%}
        {%- do log(
            this ~ ': the definition vars differ from its last build, so it is rebuilt in full',
            info=true
        ) -%}
        {{ return(true) }}
    {%- endif -%}
    {{ return(configured) }}
{%- endmacro %}
