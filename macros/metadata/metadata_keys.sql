{#- The metadata keys of the event contract (docs/event-contract.md) that
    the project reads: the one list staging, the conversation rollup, the
    column docs and the tests read (docs/extending.md). Each entry:
    - name: the key, and the column it becomes;
    - json_type: the JSON type it must have ('string', 'number' or
      'boolean'); a value of another type reads as null;
    - read_as: the column's type, 'text', 'integer', 'double' or 'boolean';
    - lowercase: true for a text key compared case-insensitively;
    - to_conversation: how the key is carried to the conversation
      (int_events_rolled_up_to_conversations, fct_conversations): 'earliest'
      (the value of the earliest event that carries it; 'unknown' for a
      text key none carries), or absent (not carried);
    - description: the column's description.
    Changing the list rebuilds every incremental model in full on the next
    run (definitions_fingerprint). -#}
{% macro metadata_keys() -%}
    {{ return([
        {'name': 'agent_id', 'json_type': 'string', 'read_as': 'text',
         'to_conversation': 'earliest',
         'description': '`agent_id` (started events): which agent served the conversation.'},
        {'name': 'channel', 'json_type': 'string', 'read_as': 'text',
         'to_conversation': 'earliest',
         'description': '`channel` (started events): where the conversation happens.'},
        {'name': 'model', 'json_type': 'string', 'read_as': 'text',
         'description': '`model` (agent_response): the LLM that produced the reply.'},
        {'name': 'tool_name', 'json_type': 'string', 'read_as': 'text',
         'description': '`tool_name` (tool_called).'},
        {'name': 'status', 'json_type': 'string', 'read_as': 'text', 'lowercase': true,
         'description': '`status` (tool_called), lowercased: `ok` or `error`.'},
        {'name': 'reason', 'json_type': 'string', 'read_as': 'text',
         'description': '`reason` (handoff_requested): why a human was asked for.'},
        {'name': 'rating', 'json_type': 'string', 'read_as': 'text', 'lowercase': true,
         'description': '`rating` (feedback_received), trimmed and lowercased; only'
             ~ ' `positive` and `negative` count as signals.'},
        {'name': 'turn', 'json_type': 'number', 'read_as': 'integer',
         'description': '`turn` (user_message, agent_response, tool_called, handoff_requested).'},
        {'name': 'message_length', 'json_type': 'number', 'read_as': 'integer',
         'description': '`message_length` (user_message), in characters.'},
        {'name': 'response_length', 'json_type': 'number', 'read_as': 'integer',
         'description': '`response_length` (agent_response), in characters.'},
        {'name': 'input_tokens', 'json_type': 'number', 'read_as': 'integer',
         'description': '`input_tokens` (agent_response).'},
        {'name': 'output_tokens', 'json_type': 'number', 'read_as': 'integer',
         'description': '`output_tokens` (agent_response).'},
        {'name': 'total_turns', 'json_type': 'number', 'read_as': 'integer',
         'description': '`total_turns` (completed), as the agent counted them.'},
        {'name': 'abandoned_at_turn', 'json_type': 'number', 'read_as': 'integer',
         'description': '`abandoned_at_turn` (abandoned): the turn at which the user left.'},
        {'name': 'similarity_to_previous', 'json_type': 'number', 'read_as': 'double',
         'description': '`similarity_to_previous` (user_message): 0-1 similarity to'
             ~ ' the previous user message, computed at capture time.'},
        {'name': 'latency_ms', 'json_type': 'number', 'read_as': 'double',
         'description': '`latency_ms` (agent_response): time to the reply, in milliseconds.'},
        {'name': 'is_exact_repeat', 'json_type': 'boolean', 'read_as': 'boolean',
         'description': '`is_exact_repeat` (user_message): the same words as the'
             ~ ' previous message.'},
    ]) }}
{%- endmacro %}

