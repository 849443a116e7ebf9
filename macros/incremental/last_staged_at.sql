{#- The watermark an incremental model has processed up to: the latest
    `staged_at` in its own table (a date long past when it is empty). -#}
{% macro last_staged_at(relation=this) -%}
    (
        select
            coalesce(
                max(processed.staged_at),
                cast('1900-01-01' as {{ dbt.type_timestamp() }})
            )
        from {{ relation }} as processed
    )
{%- endmacro %}
