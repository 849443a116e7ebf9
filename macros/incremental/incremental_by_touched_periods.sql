{#- The incremental pattern of the marts keyed by a period of the
    conversations' start (a day, a week), in one call after the model's
    final `select * from <last cte>`. It configures the model
    (touched_periods_config: on an incremental run, a pre-hook empties the
    periods to rebuild before the model writes them again). And it renders, on an incremental run only, the
    `where` clause that keeps those periods, the ones the macro named
    `periods_macro` selects (see touched_periods); nothing on a full build.
    The model computes every period as a full build would and keeps the
    touched ones, so an incremental run ends where a full refresh does.

    `open_condition`, when given, is a condition on the model's stored rows
    whose periods are rebuilt too (a day with a conversation in progress,
    a week not complete): the as-of time changes them without any new
    event. They are not emptied by the pre-hook, which runs before the
    model's query reads them; the write by the period replaces them, and a
    period stays open only while it still has rows. -#}
{% macro incremental_by_touched_periods(period_column, periods_macro, open_condition=none) -%}
    {#- The periods come from int_conversation_event_dates, which only an
        incremental run reads: registered as a dependency of the mart when
        dbt parses it (lineage, build order), not read by a full build or a
        unit test, which need no input for it. -#}
    {%- if not execute -%}
        {%- do ref('int_conversation_event_dates') -%}
    {%- endif -%}
    {%- do config(**conversation_analytics.touched_periods_config(period_column, periods_macro)) -%}
    {%- if is_incremental() -%}
        where {{ conversation_analytics.periods_to_rebuild(period_column, periods_macro, open_condition) }}
    {%- endif -%}
{%- endmacro %}
