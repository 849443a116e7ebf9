{#- True when the calling incremental model was last built with other
    definition vars than those in force, or when nothing records what it
    was built with (a project upgraded from before the record existed). -#}
{% macro definitions_changed() -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set state = conversation_analytics.definition_state_relation() -%}
    {%- if adapter.get_relation(state.database, state.schema, state.identifier) is none -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set stored = run_query(
        'select fingerprint from ' ~ state ~ " where model_name = '" ~ this.identifier ~ "'"
    ) -%}
    {%- if stored.rows | length == 0 -%}
        {{ return(true) }}
    {%- endif -%}
    {{ return(stored.rows[0][0] != conversation_analytics.definitions_fingerprint()) }}
{%- endmacro %}
