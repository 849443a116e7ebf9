{#- A query of one value: the ingestion time from which incremental staging
    reads raw rows (the latest loaded_at staged, less
    ingestion_lookback_minutes; 1900-01-01 less that margin when nothing is
    staged). Staging reads rows loaded after it; raw retention deletes only
    rows loaded at or before it. -#}
{% macro staged_ingestion_cutoff(staged) -%}
    select {{ dbt.dateadd(
        'minute',
        -1 * var('ingestion_lookback_minutes', 60) | int,
        'coalesce(max(staged.loaded_at), '
        ~ "cast('1900-01-01' as " ~ dbt.type_timestamp() ~ '))'
    ) }}
    from {{ staged }} as staged
{%- endmacro %}
