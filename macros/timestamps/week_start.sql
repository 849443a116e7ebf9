{#- The Monday (UTC) of the ISO week holding a UTC timestamp, as a date. -#}
{% macro week_start(timestamp_expr) -%}
    cast({{ dbt.date_trunc('week', timestamp_expr) }} as date)
{%- endmacro %}
