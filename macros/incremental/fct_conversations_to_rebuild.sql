{#- The condition that keeps, on an incremental run of fct_conversations,
    the conversations it writes again. On DuckDB and PostgreSQL: those
    rolled up again since its last run, and the open ones, which time out
    as the as-of time moves on. On Spark: every conversation of the days
    it rebuilds (spark_conversation_dates_to_rebuild), written in the query
    as dates, read before the pre-hook drops them. -#}
{% macro fct_conversations_to_rebuild() -%}
    {{ return(adapter.dispatch('fct_conversations_to_rebuild', 'conversation_analytics')()) }}
{%- endmacro %}

{% macro default__fct_conversations_to_rebuild() -%}
    staged_batch > {{ conversation_analytics.last_staged_batch(this) }}
    or conversation_id in (
        select open_conversations.conversation_id
        from {{ this }} as open_conversations
        where open_conversations.outcome = 'in_progress'
    )
{%- endmacro %}

{% macro spark__fct_conversations_to_rebuild() -%}
    {%- set dates = [] -%}
    {%- if execute -%}
        {%- for value in run_query(
            conversation_analytics.spark_conversation_dates_to_rebuild()
        ).columns[0].values() | reject('none') -%}
            {%- do dates.append("cast('" ~ (value | string)[:10] ~ "' as date)") -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if dates -%}
        started_date in ({{ dates | unique | join(', ') }})
    {%- else -%}
        1 = 0
    {%- endif -%}
{%- endmacro %}
