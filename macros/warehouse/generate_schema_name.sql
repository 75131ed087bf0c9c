{#-
    Custom schemas are written verbatim (trading_data, strategy_data, ...) on the shared targets
    local, ci and prod, so analysts and the runner find the same names everywhere. On the targets
    of var('prefixed_schema_targets') (dev) every developer gets their own copy, prefixed with the
    profile's dataset (e.g. alice_strategy_data). strategy_engine/schemas.py applies this rule for
    Python from the same var (tests/python/test_schema_names.py renders both).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set default_schema = target.schema -%}
    {%- if custom_schema_name is none -%}
        {{ default_schema }}
    {%- elif target.name in var('prefixed_schema_targets') -%}
        {{ default_schema }}_{{ custom_schema_name | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
