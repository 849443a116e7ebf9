{#- HMAC-SHA256 (RFC 2104) of a text column under a key, as 64 lowercase hex
    digits, in SQL every target runs: the key's two padded blocks are worked
    out here (the key is at most one 64-byte block), and the warehouse only
    hashes bytes, so no extension such as pgcrypto is needed. -#}
{% macro hmac_sha256_hex(key, column) -%}
    {%- set key_bytes = key.encode('utf-8') | list -%}
    {%- set inner_pad = [] -%}
    {%- set outer_pad = [] -%}
    {%- for position in range(64) -%}
        {%- set key_byte = key_bytes[position] if position < key_bytes | length else 0 -%}
        {%- do inner_pad.append('%02x' % conversation_analytics.xor_byte(key_byte, 54)) -%}
        {%- do outer_pad.append('%02x' % conversation_analytics.xor_byte(key_byte, 92)) -%}
    {%- endfor -%}
    {%- set inner_hash = conversation_analytics.sha256_hex(
        conversation_analytics.hex_to_binary("'" ~ inner_pad | join('') ~ "'")
        ~ ' || ' ~ conversation_analytics.text_to_binary(column)
    ) -%}
    {{ return(conversation_analytics.sha256_hex(
        conversation_analytics.hex_to_binary("'" ~ outer_pad | join('') ~ "'")
        ~ ' || ' ~ conversation_analytics.hex_to_binary(inner_hash)
    )) }}
{%- endmacro %}


{#- Bitwise exclusive or of two bytes (0-255); Jinja has no operator for it. -#}
{% macro xor_byte(left, right) -%}
    {%- set result = namespace(value=0) -%}
    {%- for bit in range(8) -%}
        {%- if (left // 2 ** bit) % 2 != (right // 2 ** bit) % 2 -%}
            {%- set result.value = result.value + 2 ** bit -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(result.value) }}
{%- endmacro %}
