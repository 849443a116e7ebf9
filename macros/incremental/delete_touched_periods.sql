{#- pre-hook of the marts keyed by a period of the conversations' start
    (set by incremental_by_touched_periods): on an incremental run, delete
    the periods the run rebuilds before it writes them, so a period that
    lost rows (a conversation moved to another day when its late `started`
    event arrived, an abandon that is gone) does not keep stale ones.
    `periods_macro` names the macro of the periods to rebuild. -#}
{% macro delete_touched_periods(period_column, periods_macro) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ period_column }} in ({{ conversation_analytics.touched_periods(periods_macro) }})
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
