{#-
    Custom schemas are written verbatim (trading_data, strategy_data, ...) on the shared targets
    local, ci and prod, so analysts and the runner find the same names everywhere. On dev every
    developer gets their own copy, prefixed with the profile's dataset (e.g. alice_strategy_data).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set default_schema = target.schema -%}
    {%- if custom_schema_name is none -%}
        {{ default_schema }}
    {%- elif target.name == 'dev' -%}
        {{ default_schema }}_{{ custom_schema_name | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
