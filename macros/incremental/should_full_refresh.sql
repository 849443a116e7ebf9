{#- dbt's own should_full_refresh(), which the incremental materialization
    and is_incremental() ask, overridden: an incremental model is also
    rebuilt in full when a definition var or the metadata keys
    (metadata_keys) changed since its last build, so a changed rule or a
    new key's column reaches every stored row, not only the rows a run
    touches. The log line says why. A model configured with
    full_refresh=false (staging under raw retention: its raw rows may be
    gone) is never rebuilt, not even then: its stored rows keep the rules
    they were built with, and the log line says so; a changed metadata key
    declaration stops such a model that stores the keys' columns (meta
    has_metadata_key_columns: staging) with a one-line message (a new
    column cannot reach its stored events). (dbt uses this
    override for this project's own models, also when it is installed as a
    package: it looks a node's macros up in the node's package first; a host
    project's models keep dbt's.) -#}
{% macro should_full_refresh() -%}
    {%- set configured = config.get('full_refresh') -%}
    {%- set is_pinned = configured is not none and not configured -%}
    {%- if configured is none -%}
        {%- set configured = flags.FULL_REFRESH -%}
    {%- endif -%}
    {%- if not configured and model.config.materialized == 'incremental'
        and conversation_analytics.definitions_changed() -%}
        {%- if is_pinned and config.get('meta', {}).get('has_metadata_key_columns')
            and conversation_analytics.definitions_changed('metadata_keys') -%}
            {#- Its stored events cannot get a new key's column: their raw
                rows may be gone. One line, rather than the warehouse's
                error about a missing column. -#}
            {{ exceptions.raise_compiler_error(
                this ~ ': the metadata keys (macros/metadata/metadata_keys.sql) differ from'
                ~ ' its last build, but under raw retention (raw_retention_days) it is never'
                ~ ' rebuilt from raw, so its stored events cannot get the new columns:'
                ~ ' undo the change to the keys (docs/extending.md, section 5)'
            ) }}
        {%- endif -%}
        {#- One line per model and run: dbt asks this several times, while
            compiling the model and while running it; the line comes from
            the run (model.compiled), and not for a model's first build. -#}
        {%- set says = conversation_analytics.definitions_difference() -%}
        {%- set log_now = model.get('compiled') and not model.get('ca_definitions_logged')
            and adapter.get_relation(this.database, this.schema, this.identifier) is not none -%}
        {%- do model.update({'ca_definitions_logged': true}) if log_now -%}
        {%- if is_pinned -%}
            {%- do log(
                this ~ ': ' ~ says ~ ', but it is never rebuilt (full_refresh: false),'
                ~ ' so its stored rows keep the old rules',
                info=true
            ) if log_now -%}
            {{ return(false) }}
        {%- endif -%}
        {%- do log(this ~ ': ' ~ says ~ ', so it is rebuilt in full', info=true) if log_now -%}
        {{ return(true) }}
    {%- endif -%}
    {{ return(configured) }}
{%- endmacro %}
