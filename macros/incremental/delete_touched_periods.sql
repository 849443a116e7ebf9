{#- pre-hook of the marts keyed by a period of the conversations' start:
    on an incremental run, delete the periods the run rebuilds before it
    writes them, so a period that lost rows (a conversation moved to another
    day when its late `started` event arrived, an abandon that is gone) does
    not keep stale ones. `periods_query` selects the periods to rebuild. -#}
{% macro delete_touched_periods(period_column, periods_query) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ period_column }} in ({{ periods_query }})
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
