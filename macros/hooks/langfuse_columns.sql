{#- The columns every Langfuse table must have, lowercase, by table
    (docs/langfuse.md). -#}
{% macro langfuse_columns() -%}
    {{ return({
        'langfuse_traces': [
            'id', 'timestamp', 'name', 'user_id', 'session_id', 'release', 'version',
            'input', 'output', 'metadata', 'tags', 'loaded_at',
        ],
        'langfuse_observations': [
            'id', 'trace_id', 'parent_observation_id', 'type', 'name', 'start_time',
            'end_time', 'completion_start_time', 'model', 'usage_details', 'level',
            'status_message', 'input', 'output', 'metadata', 'loaded_at',
        ],
        'langfuse_scores': [
            'id', 'trace_id', 'observation_id', 'session_id', 'name', 'value',
            'string_value', 'data_type', 'source', 'timestamp', 'comment', 'metadata',
            'loaded_at',
        ],
    }) }}
{%- endmacro %}
