{#- The watermark an incremental model has processed up to: the latest
    staging batch number (`staged_batch`) in its own table, 0 when it is
    empty. Batch numbers come from staging's own table, never from a
    clock, so a run from a host whose clock is wrong cannot skip events. -#}
{% macro last_staged_batch(relation=this) -%}
    (
        select coalesce(max(processed.staged_batch), 0)
        from {{ relation }} as processed
    )
{%- endmacro %}
