{#- strategy_float_type(): a 64-bit float type name. dbt.type_float() is `float` on DuckDB, a 32-bit
    REAL there, which would round indicator values; DuckDB needs `double`, BigQuery `float64`. -#}
{% macro strategy_float_type() -%}
    {{ return(adapter.dispatch('strategy_float_type', 'strategy_engine')()) }}
{%- endmacro %}

{% macro default__strategy_float_type() -%}
    {{ return('double') }}
{%- endmacro %}

{% macro bigquery__strategy_float_type() -%}
    {{ return('float64') }}
{%- endmacro %}
