{#-
    strategy_type(type_name, params=none): the declaration of a strategy type, found by name among
    the macros called strategy_type__<type_name> (macros/strategies/, one file per type; see
    docs/STRATEGIES.md). Without params: description and defaults. With a complete parameter set:
    also problem, inputs, columns and rules, as the type's file documents.
    An unknown type fails compilation and lists the discovered ones.
-#}
{% macro strategy_type(type_name, params=none) %}
    {%- set types = strategy_type_macros() -%}
    {%- if type_name not in types -%}
        {%- do exceptions.raise_compiler_error("unknown strategy type '" ~ type_name ~ "'; known (macros named strategy_type__<type>): " ~ (types.keys() | sort | join(', '))) -%}
    {%- endif -%}
    {%- set spec = types[type_name](params) -%}
    {%- if 'max_holding_days' not in spec.defaults -%}
        {%- do exceptions.raise_compiler_error("strategy type " ~ type_name ~ ": its defaults must declare max_holding_days (0 = no limit)") -%}
    {%- endif -%}
    {{ return(spec) }}
{% endmacro %}

{#- strategy_type_macros(): {type name: macro} of every macro named strategy_type__<type name>
    in dbt's Jinja context. No list anywhere names the types: a new file is a new type. -#}
{% macro strategy_type_macros() %}
    {%- set prefix = 'strategy_type__' -%}
    {%- set found = {} -%}
    {#- Under sqlfluff, `context` is scripts/sqlfluff_libs/context (the same two calls). -#}
    {%- for name in context.keys() if name.startswith(prefix) -%}
        {%- do found.update({name[prefix | length:]: context.get(name)}) -%}
    {%- endfor -%}
    {{ return(found) }}
{% endmacro %}
