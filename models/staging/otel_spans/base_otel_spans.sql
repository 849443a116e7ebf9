{#- One row per raw span, typed, with the GenAI attributes read and a
    rejection reason for a span the mapping cannot place
    (docs/opentelemetry.md). The attributes are read on the span first, then
    on its resource. -#}
{%- set raw_spans = source('otel_spans', 'otel_spans') -%}
{%- set column_types = conversation_analytics.source_column_types(raw_spans) -%}
{%- set user_attribute = var('otel_user_id_attribute', 'user.id') -%}
{%- set channel_attribute = var('otel_channel_attribute', 'conversation.channel') -%}
{%- set attribute_keys = [
    'gen_ai.conversation.id',
    'gen_ai.operation.name',
    'gen_ai.agent.id',
    'gen_ai.agent.name',
    'gen_ai.request.model',
    'gen_ai.response.model',
    'gen_ai.usage.input_tokens',
    'gen_ai.usage.output_tokens',
    'gen_ai.tool.name',
    user_attribute,
    channel_attribute,
] | unique | list -%}
{#- The operations of the GenAI conventions: the first five map to
    events, the others are known and produce none. -#}
{%- set mapped_operations = [
    'invoke_agent', 'chat', 'text_completion', 'generate_content', 'execute_tool',
] -%}
{%- set known_operations = mapped_operations + [
    'create_agent', 'embeddings', 'retrieval', 'invoke_workflow',
] -%}
{%- set text = conversation_analytics.clean_text -%}
{%- set integer = conversation_analytics.safe_cast_integer -%}
{%- set value = conversation_analytics.json_typed_value -%}
{%- set json = conversation_analytics.metadata_to_json -%}
{#- Each attribute as a SQL expression: on the span, else on its resource;
    a value of the wrong JSON type reads as missing. -#}
{%- set attribute = {} -%}
{%- for key in attribute_keys -%}
{%- for json_type in ['string', 'number'] -%}
{%- set on_span = value('span_fields', attribute_keys, key, json_type) -%}
{%- set on_resource = value('resource_fields', attribute_keys, key, json_type) -%}
{%- set either = 'coalesce(' ~ on_span ~ ', ' ~ on_resource ~ ')' -%}
{%- do attribute.update({key ~ ':' ~ json_type: either}) -%}
{%- endfor -%}
{%- endfor -%}

with

raw_spans as (

    select * from {{ raw_spans }}

),

typed as (

    select
        lower({{ text('trace_id') }}) as trace_id,
        lower({{ text('span_id') }}) as span_id,
        lower({{ text('parent_span_id') }}) as parent_span_id,
        {{ text('name') }} as span_name,
        lower({{ text('kind') }}) as span_kind,
        lower({{ text('status_code') }}) as status_code,
        {{ text('status_message') }} as status_message,
        {{ text('attributes') }} as attributes_text,
        {{ json('attributes', column_types.get('attributes')) }} as attributes_json,
        {{ json('resource_attributes', column_types.get('resource_attributes')) }}
            as resource_attributes_json,
        {{ json('events', column_types.get('events')) }} as events_json,
        {{ conversation_analytics.timestamp_to_utc(
            'start_time', column_types.get('start_time')
        ) }} as started_at,
        {{ conversation_analytics.timestamp_to_utc(
            'end_time', column_types.get('end_time')
        ) }} as ended_at,
        {{ conversation_analytics.timestamp_to_utc(
            'loaded_at', column_types.get('loaded_at')
        ) }} as loaded_at
    from raw_spans

),

attributes_picked as (

    -- Attributes that are not a JSON object read as none.
    select
        *,
        {{ conversation_analytics.json_fields(
            'case when ' ~ conversation_analytics.json_is_object('attributes_json')
            ~ ' then attributes_json end',
            attribute_keys
        ) }} as span_fields,
        {{ conversation_analytics.json_fields(
            'case when ' ~ conversation_analytics.json_is_object('resource_attributes_json')
            ~ ' then resource_attributes_json end',
            attribute_keys
        ) }} as resource_fields
    from typed

),

attributes_read as (

    select
        trace_id,
        span_id,
        parent_span_id,
        span_name,
        span_kind,
        status_code,
        status_message,
        attributes_text,
        {{ conversation_analytics.json_column('events_json') }} as events_json,
        {{ text(attribute['gen_ai.conversation.id:string']) }} as conversation_id,
        lower({{ text(attribute['gen_ai.operation.name:string']) }}) as operation_name,
        coalesce(
            {{ text(attribute['gen_ai.agent.id:string']) }},
            {{ text(attribute['gen_ai.agent.name:string']) }}
        ) as agent_id,
        {{ text(attribute[user_attribute ~ ':string']) }} as user_id,
        {{ text(attribute[channel_attribute ~ ':string']) }} as channel,
        {{ text(attribute['gen_ai.response.model:string']) }} as response_model,
        {{ text(attribute['gen_ai.request.model:string']) }} as request_model,
        {{ text(attribute['gen_ai.tool.name:string']) }} as tool_name,
        {{ integer(attribute['gen_ai.usage.input_tokens:number']) }} as input_tokens,
        {{ integer(attribute['gen_ai.usage.output_tokens:number']) }} as output_tokens,
        case
            when ended_at >= started_at
                then {{ conversation_analytics.seconds_between('started_at', 'ended_at') }} * 1000
        end as duration_ms,
        coalesce(status_code = 'error', false) as is_error,
        started_at,
        ended_at,
        loaded_at
    from attributes_picked

),

validated as (

    select
        *,
        operation_name in (
            {%- for operation in mapped_operations %}
            '{{ operation }}'{{ ',' if not loop.last }}
            {%- endfor %}
        ) as is_mapped,
        case
            when span_id is null or trace_id is null then 'span_missing_id'
            when conversation_id is null then 'span_missing_conversation_id'
            when started_at is null then 'span_missing_start_time'
            when
                operation_name is null
                or operation_name not in (
                    {%- for operation in known_operations %}
                    '{{ operation }}'{{ ',' if not loop.last }}
                    {%- endfor %}
                )
                then 'span_unknown_operation'
        end as rejection_reason
    from attributes_read

)

select * from validated
