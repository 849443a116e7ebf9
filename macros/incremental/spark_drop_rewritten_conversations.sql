{#- Spark's post-hook of the models set up by
    incremental_by_changed_conversations (spark__changed_conversations_config):
    the run has written every changed conversation that still has events
    into the partition of staging's latest batch; their rows in older
    partitions go, and so do those of a conversation whose every event
    moved to another one (spark_drop_from_older_batches). The changed
    conversations are those changed since the newest older partition, the
    watermark the run started from. Runs the statements itself and renders
    a no-op; nothing to do after a full build, whose one partition is the
    latest batch. Should it fail after the run wrote its partition, the
    model's test of its key fails and a full refresh of the model repairs
    it. -#}
{% macro spark_drop_rewritten_conversations() -%}
    {%- if execute -%}
        {%- set latest = run_query(
            'select max(staged_batch) from ' ~ ref('stg_conversation_events')
        ).columns[0].values()[0] -%}
        {%- if latest is not none -%}
            {%- set since = run_query(
                'select coalesce(max(staged_batch), 0) from ' ~ this
                ~ ' where staged_batch < ' ~ latest | int
            ).columns[0].values()[0] -%}
            {%- do conversation_analytics.spark_drop_from_older_batches(
                latest, 'conversation_id',
                conversation_analytics.changed_conversations(since=since)
            ) -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}
