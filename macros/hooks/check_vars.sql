{#- on-run-start: fail the run when a var given with --vars is not one this
    project reads, naming it and the closest known names, since dbt itself
    ignores an unknown var and a misspelt one (inactivity_timout_minutes)
    would leave the default in force without a word; and when a var's value
    is not of its kind (known_vars), before any of it reaches SQL.

    Installed as a package in another project (the root project is then
    not this one), it judges only this project's own vars, by their values:
    the --vars of a run are global, shared with the host project and its
    other packages, so a name this project does not read may well be the
    host's (even one that looks like ours: alert_channel, days_back), and
    is never refused there. -#}
{% macro check_vars() -%}
    {%- set given = invocation_args_dict.get('vars') or {} -%}
    {%- if given is string -%}
        {%- set given = fromyaml(given) or {} -%}
    {%- endif -%}
    {%- set kinds = conversation_analytics.known_vars() -%}
    {%- set known = kinds.keys() | list -%}
    {%- set is_root = project_name == 'conversation_analytics' -%}
    {%- set unknown = [] -%}
    {%- for name in given if is_root and name not in known -%}
        {%- do unknown.append(name) -%}
    {%- endfor -%}
    {%- if unknown -%}
        {%- set hints = [] -%}
        {%- for name in unknown -%}
            {#- The known names sharing the longest prefix with it. -#}
            {%- set best = namespace(length=0, names=[]) -%}
            {%- for candidate in known -%}
                {%- set shared = namespace(length=0) -%}
                {%- for position in range([name | length, candidate | length] | min) -%}
                    {%- if shared.length == position
                        and name[position] == candidate[position] -%}
                        {%- set shared.length = position + 1 -%}
                    {%- endif -%}
                {%- endfor -%}
                {%- if shared.length > best.length -%}
                    {%- set best.length = shared.length -%}
                    {%- set best.names = [candidate] -%}
                {%- elif shared.length == best.length and shared.length > 0 -%}
                    {%- do best.names.append(candidate) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- set alike = best.names if best.length > (name.split('_')[0] | length) else [] -%}
            {%- do hints.append(
                name ~ (' (did you mean ' ~ alike | join(' or ') ~ '?)' if alike else '')
            ) -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error(
            'unknown var ' ~ hints | join(', ') ~ ': this project reads only '
            ~ known | join(', ') ~ ' (see the vars table in the README)'
        ) }}
    {%- endif -%}
    {%- for name, kind in kinds.items() -%}
        {%- set problem = conversation_analytics.var_kind_problem(var(name, none), kind) -%}
        {%- if problem -%}
            {{ exceptions.raise_compiler_error(
                'var ' ~ name ~ ' is ' ~ (var(name, none) | string)[:80] ~ ': ' ~ problem
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if var('pseudonymize_user_ids', false) is true -%}
        {%- set key_problem = conversation_analytics.user_id_hmac_key_problem(
            env_var('CA_USER_ID_HMAC_KEY', '')
        ) -%}
        {%- if key_problem -%}
            {{ exceptions.raise_compiler_error(key_problem) }}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}
