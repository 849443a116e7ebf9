{#- The event types of the raw contract (docs/event-contract.md), as a list. The
    seed conversation_event_types documents the same list, and a test keeps
    the two equal. -#}
{% macro event_types() -%}
    {{ return([
        'started',
        'user_message',
        'agent_response',
        'tool_called',
        'handoff_requested',
        'feedback_received',
        'completed',
        'abandoned',
    ]) }}
{%- endmacro %}
