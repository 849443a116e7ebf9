{#- True when the calling incremental model was last built with other
    definition vars than those in force, or when nothing records what it
    was built with (a project upgraded from before the record existed).
    With `part` (e.g. 'metadata_keys'), only that part of the fingerprint
    counts, and no record of it counts as unchanged. -#}
{% macro definitions_changed(part=none) -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set state = conversation_analytics.definition_state_relation() -%}
    {%- if adapter.get_relation(state.database, state.schema, state.identifier) is none -%}
        {{ return(part is none) }}
    {%- endif -%}
    {%- set stored = run_query(
        'select fingerprint from ' ~ state ~ " where model_name = '" ~ this.identifier ~ "'"
    ) -%}
    {%- if stored.rows | length == 0 -%}
        {{ return(part is none) }}
    {%- endif -%}
    {%- set current = conversation_analytics.definitions_fingerprint() -%}
    {%- if part is not none -%}
        {%- set prefix = part ~ '=' -%}
        {%- set stored_parts = [] -%}
        {%- set current_parts = [] -%}
        {%- for item in stored.rows[0][0].split(';') if item.startswith(prefix) -%}
            {%- do stored_parts.append(item) -%}
        {%- endfor -%}
        {%- for item in current.split(';') if item.startswith(prefix) -%}
            {%- do current_parts.append(item) -%}
        {%- endfor -%}
        {#- A record from before the part existed says nothing about it. -#}
        {{ return(stored_parts | length > 0 and stored_parts != current_parts) }}
    {%- endif -%}
    {{ return(stored.rows[0][0] != current) }}
{%- endmacro %}
