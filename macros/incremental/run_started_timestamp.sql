{#- When this dbt invocation started (UTC), as a timestamp literal: the
    `staged_at` watermark that incremental models hand down. -#}
{% macro run_started_timestamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
