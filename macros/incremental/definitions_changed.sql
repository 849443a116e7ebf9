{#- True when the calling incremental model was last built with other
    definition vars than those in force, or when nothing records what it
    was built with (a project upgraded from before the record existed).
    With `part` (e.g. 'metadata_keys'), only that part of the fingerprint
    counts, and no record of it counts as unchanged. What differs, in
    words: definitions_difference. -#}
{% macro definitions_changed(part=none) -%}
    {{ return(conversation_analytics.definitions_difference(part) | length > 0) }}
{%- endmacro %}
