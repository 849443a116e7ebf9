{#- The earliest event time from which an incremental run of staging
    re-reads raw copies of ids it has already staged: the latest staged event
    minus var('incremental_lookback_hours'). A copy of a staged id that
    arrives later than that, with an earlier timestamp than the staged copy,
    is only taken by a full refresh; new ids are always taken. -#}
{% macro lookback_cutoff(relation=this) -%}
    {{ dbt.dateadd(
        'hour',
        -1 * var('incremental_lookback_hours', 72) | int,
        '(select max(event_at) from ' ~ relation ~ ')'
    ) }}
{%- endmacro %}
