{#- The schema that holds the raw inputs: trading_data, or <dataset>_trading_data on dev. -#}
{% macro source_schema() -%}
    {{ generate_schema_name('trading_data', none) }}
{%- endmacro %}
