{#- What differs between the definitions in force (definitions_fingerprint)
    and those the calling incremental model was last built with, in words
    for a log line: each changed definition var with its recorded and
    current value (the first three), "the metadata keys", or that nothing
    records its last build (a project upgraded from before the record
    existed). Empty when
    nothing differs, and while parsing. With `part` (e.g. 'metadata_keys'),
    only that part counts, and no record of it counts as unchanged. Asked
    several times per model and run (the materialization, is_incremental()),
    so the answer is kept on the model's context after the first query. -#}
{% macro definitions_difference(part=none) -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set cache_key = 'ca_definitions_difference:' ~ (part or '') -%}
    {%- if cache_key in model -%}
        {{ return(model[cache_key]) }}
    {%- endif -%}
    {%- set unrecorded = 'nothing records the definitions of its last build'
        ~ ' (built by an earlier release)' -%}
    {%- set state = conversation_analytics.definition_state_relation() -%}
    {%- set stored = none -%}
    {%- if adapter.get_relation(state.database, state.schema, state.identifier) is not none -%}
        {%- set rows = run_query(
            'select fingerprint from ' ~ state ~ " where model_name = '" ~ this.identifier ~ "'"
        ).rows -%}
        {%- set stored = rows[0][0] if rows | length > 0 else none -%}
    {%- endif -%}
    {%- set current = conversation_analytics.definitions_fingerprint() -%}
    {%- set described = [] -%}
    {%- if stored is none -%}
        {%- if part is none -%}
            {%- do described.append(unrecorded) -%}
        {%- endif -%}
    {%- elif stored != current -%}
        {%- set recorded = {} -%}
        {%- for item in stored.split(';') -%}
            {%- do recorded.update({item.split('=')[0]: item[item.split('=')[0] | length + 1:]}) -%}
        {%- endfor -%}
        {%- set in_force = {} -%}
        {%- for item in current.split(';') -%}
            {%- do in_force.update({item.split('=')[0]: item[item.split('=')[0] | length + 1:]}) -%}
        {%- endfor -%}
        {%- for name in in_force
            if (part is none or name == part) and recorded.get(name) != in_force[name]
            and not (part is not none and name not in recorded) -%}
            {%- if name == 'metadata_keys' -%}
                {%- do described.append('the metadata keys') -%}
            {%- elif name == 'user_id_key_md5' -%}
                {%- do described.append('the user id pseudonymisation key') -%}
            {%- elif name in recorded -%}
                {%- do described.append(name ~ ' (' ~ recorded[name] ~ ', now ' ~ in_force[name] ~ ')') -%}
            {%- else -%}
                {%- do described.append(name ~ ' (not recorded, now ' ~ in_force[name] ~ ')') -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for name in recorded if part is none and name not in in_force -%}
            {%- do described.append('the user id pseudonymisation key'
                if name == 'user_id_key_md5' else name ~ ' (' ~ recorded[name] ~ ', now not set)') -%}
        {%- endfor -%}
        {%- if part is none and not described -%}
            {%- do described.append('the definitions') -%}
        {%- endif -%}
    {%- endif -%}
    {%- if stored is none -%}
        {%- set difference = unrecorded if described else '' -%}
    {%- elif described -%}
        {%- set difference = 'the definitions changed since its last build: '
            ~ described[:3] | join(', ')
            ~ (' and ' ~ (described | length - 3) ~ ' more' if described | length > 3 else '') -%}
    {%- else -%}
        {%- set difference = '' -%}
    {%- endif -%}
    {%- do model.update({cache_key: difference}) -%}
    {{ return(difference) }}
{%- endmacro %}
