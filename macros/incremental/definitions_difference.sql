{#- What differs between the definitions in force (definitions_fingerprint)
    and those the calling incremental model was last built with, in words
    for a log line: each changed definition var with its recorded and
    current value (the first three), "the metadata keys", or that nothing
    records its last build (a project upgraded from before the record
    existed). Empty when nothing differs, and while parsing. With `part`
    (e.g. 'metadata_keys'), only that part counts, and no record of it
    counts as unchanged. Asked several times per model and run (the
    materialization, is_incremental()), so the answer is kept on the
    model's context after the first query. -#}
{% macro definitions_difference(part=none) -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set cache_key = 'ca_definitions_difference:' ~ (part or '') -%}
    {%- if cache_key in model -%}
        {{ return(model[cache_key]) }}
    {%- endif -%}
    {%- set state = conversation_analytics.definition_state_relation() -%}
    {%- set stored = none -%}
    {%- if adapter.get_relation(state.database, state.schema, state.identifier) is not none -%}
        {%- set rows = run_query(
            'select fingerprint from ' ~ state ~ " where model_name = '" ~ this.identifier ~ "'"
        ).rows -%}
        {%- set stored = rows[0][0] if rows | length > 0 else none -%}
    {%- endif -%}
    {%- set current = conversation_analytics.definitions_fingerprint() -%}
    {%- if stored is none -%}
        {%- set difference = '' if part else
            'nothing records the definitions of its last build (built by an earlier release)' -%}
    {%- elif stored == current -%}
        {%- set difference = '' -%}
    {%- else -%}
        {#- name=value items, split at the first '='. -#}
        {%- set recorded = {} -%}
        {%- set in_force = {} -%}
        {%- for fingerprint, values in [(stored, recorded), (current, in_force)] -%}
            {%- for item in fingerprint.split(';') -%}
                {%- set name, _, value = item.partition('=') -%}
                {%- do values.update({name: value}) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- set labels = {
            'metadata_keys': 'the metadata keys',
            'user_id_key_md5': 'the user id pseudonymisation key',
        } -%}
        {%- set described = [] -%}
        {%- for name in ((in_force.keys() | list) + (recorded.keys() | list)) | unique
            if recorded.get(name) != in_force.get(name)
            and (part is none or (name == part and name in recorded)) -%}
            {%- do described.append(name) -%}
        {%- endfor -%}
        {%- set said = [] -%}
        {%- for name in described -%}
            {%- do said.append(labels.get(name) or name ~ ' ('
                ~ recorded.get(name, 'not recorded') ~ ', now ' ~ in_force.get(name, 'not set') ~ ')') -%}
        {%- endfor -%}
        {#- A record that differs only in how it is written still counts. -#}
        {%- if part is none and not said -%}
            {%- do said.append('the definitions') -%}
        {%- endif -%}
        {%- set difference = 'the definitions changed since its last build: '
            ~ said[:3] | join(', ')
            ~ (' and ' ~ (said | length - 3) ~ ' more' if said | length > 3 else '')
            if said else '' -%}
    {%- endif -%}
    {%- do model.update({cache_key: difference}) -%}
    {{ return(difference) }}
{%- endmacro %}
