{#- dbt run-operation erase_user_events --args '{user_id: "..."}'

    Erases one user: deletes from the raw table and from staging every event
    of every conversation the user took part in (their own events, the
    agent's answers to them, and their quarantined rows), and logs the
    counts. The models built from staging still hold the user's
    conversations until they are rebuilt: run `dbt build --full-refresh`
    next (`conversation-analytics erase-user` does both). -#}
{% macro erase_user_events(user_id) -%}
    {%- if user_id is not string or user_id | trim | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            'erase_user_events needs a user id: --args \'{user_id: "the id"}\''
        ) }}
    {%- endif -%}
    {%- set user_literal = "'" ~ user_id | replace("'", "''") ~ "'" -%}
    {%- set raw = source('conversation_events', 'conversation_events') -%}
    {%- set staged = ref('stg_conversation_events') -%}
    {%- set raw_user = conversation_analytics.clean_text('user_id') -%}
    {%- set raw_conversation = conversation_analytics.clean_text('conversation_id') -%}
    {%- set has_staging = adapter.get_relation(
        staged.database, staged.schema, staged.identifier
    ) is not none -%}

    {%- set found -%}
        select {{ raw_conversation }} as conversation_id from {{ raw }}
        where {{ raw_user }} = {{ user_literal }} and {{ raw_conversation }} is not null
        {%- if has_staging %}
        union
        select conversation_id from {{ staged }} where user_id = {{ user_literal }}
        {%- endif %}
    {%- endset -%}
    {%- set conversations = run_query(found).columns[0].values() | list -%}

    {%- set counts = namespace(raw=0, staged=0) -%}
    {%- for first in range(0, [conversations | length, 1] | max, 500) -%}
        {%- set listed = [] -%}
        {%- for conversation_id in conversations[first:first + 500] -%}
            {%- do listed.append("'" ~ conversation_id | replace("'", "''") ~ "'") -%}
        {%- endfor -%}
        {%- set in_chunk = ' in (' ~ listed | join(', ') ~ ')' -%}
        {%- set raw_rows = raw_user ~ ' = ' ~ user_literal
            ~ (' or ' ~ raw_conversation ~ in_chunk if listed else '') -%}
        {%- set counts.raw = counts.raw + conversation_analytics.erase_rows(raw, raw_rows) -%}
        {%- if has_staging -%}
            {%- set staged_rows = 'user_id = ' ~ user_literal
                ~ (' or conversation_id' ~ in_chunk if listed else '') -%}
            {%- set counts.staged = counts.staged
                + conversation_analytics.erase_rows(staged, staged_rows) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- run_query opened a transaction; without this the deletes roll back. -#}
    {%- do adapter.commit() -%}
    {%- do log(
        'erase_user_events: ' ~ conversations | length ~ ' conversations, '
        ~ counts.raw ~ ' raw rows and ' ~ counts.staged ~ ' staged events deleted; '
        ~ 'run dbt build --full-refresh to rebuild the models without them',
        info=true
    ) -%}
{%- endmacro %}
