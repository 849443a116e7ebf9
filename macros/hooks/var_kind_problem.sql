{#- What is wrong with a var's value for its kind (see known_vars), as a
    phrase for an error message; '' when the value is fine. -#}
{% macro var_kind_problem(value, kind) -%}
    {%- set re = modules.re -%}
    {%- set number = '-?[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?' -%}
    {%- set moment = '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?)?' -%}
    {%- set text = value | string -%}
    {%- if kind in ('identifier', 'identifier_or_null') -%}
        {%- if value is none and kind == 'identifier_or_null' -%}
            {{ return('') }}
        {%- elif value is not string or not re.fullmatch('[A-Za-z_][A-Za-z0-9_]{0,62}', value) -%}
            {{ return('expected a name (letters, digits and underscores, at most 63)') }}
        {%- endif -%}
    {%- elif kind in ('timestamp', 'timestamp_or_null') -%}
        {%- if value is none and kind == 'timestamp_or_null' -%}
            {{ return('') }}
        {%- elif value is none or value is boolean or value is number
            or not re.fullmatch(moment, text) -%}
            {{ return("expected a UTC timestamp such as '2026-11-01 00:00:00'") }}
        {%- endif -%}
    {%- elif kind == 'number' -%}
        {%- if value is none or value is boolean or not re.fullmatch(number, text) -%}
            {{ return('expected a number') }}
        {%- endif -%}
    {%- elif kind in ('integer', 'integer_or_null') -%}
        {%- if value is none and kind == 'integer_or_null' -%}
            {{ return('') }}
        {%- elif value is none or value is boolean or not re.fullmatch('[0-9]{1,9}', text) -%}
            {{ return('expected a whole number, 0 or more') }}
        {%- endif -%}
    {%- elif kind == 'integer_list' -%}
        {%- set problem = 'expected a list of whole numbers above 0, such as [7, 28]' -%}
        {%- if value is string or value is mapping or value is not iterable or not value -%}
            {{ return(problem) }}
        {%- endif -%}
        {%- for item in value -%}
            {%- if item is boolean or not re.fullmatch('[1-9][0-9]{0,5}', item | string) -%}
                {{ return(problem) }}
            {%- endif -%}
        {%- endfor -%}
    {%- elif kind == 'date' -%}
        {%- if value is none or value is boolean or value is number
            or not re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
            {{ return("expected a date such as '2026-11-01'") }}
        {%- endif -%}
    {%- elif kind == 'boolean' -%}
        {%- if value is not boolean and text | lower not in ('true', 'false') -%}
            {{ return('expected true or false') }}
        {%- endif -%}
    {%- elif kind == 'probability' -%}
        {%- if value is none or value is boolean or not re.fullmatch(number, text)
            or not (0 < text | float < 1) -%}
            {{ return('expected a number between 0 and 1, such as 0.05') }}
        {%- endif -%}
    {%- elif kind == 'confidence_level' -%}
        {%- set levels = conversation_analytics.confidence_level_quantiles().keys() | list -%}
        {%- if value is boolean or text not in levels -%}
            {{ return('expected one of ' ~ levels | join(', ')) }}
        {%- endif -%}
    {%- elif kind == 'attribute_name' -%}
        {%- if value is not string or not re.fullmatch('[A-Za-z_][A-Za-z0-9_.-]{0,254}', value) -%}
            {{ return("expected an attribute name such as 'user.id' (letters, digits, "
                ~ "'_', '.' and '-')") }}
        {%- endif -%}
    {%- elif kind == 'attribute_name_list' -%}
        {%- if value is string or value is not iterable or value is mapping -%}
            {{ return("expected a list of names such as ['user_feedback']") }}
        {%- endif -%}
        {%- for item in value -%}
            {%- if item is not string or not re.fullmatch('[A-Za-z_][A-Za-z0-9_.-]{0,254}', item) -%}
                {{ return("expected a list of names (letters, digits, '_', '.' and '-')") }}
            {%- endif -%}
        {%- endfor -%}
    {%- elif kind == 'alert_rule' -%}
        {%- if value not in ('significant', 'points') -%}
            {{ return("expected 'significant' or 'points'") }}
        {%- endif -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error('unknown var kind ' ~ kind) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
