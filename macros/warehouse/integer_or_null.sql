{#-
    integer_or_null(expression): the number as a 64-bit integer (rounded), or NULL when it has
    none: infinite, NaN, or outside the 64-bit range. A plain cast fails the whole query on such a
    value; staging must instead keep the row and reject it with a reason (non_finite_value).
    DuckDB: try_cast. BigQuery: safe_cast. (dbt's own safe_cast is a plain cast on DuckDB.)
-#}
{% macro integer_or_null(expression) -%}
    {{ return(adapter.dispatch('integer_or_null', 'strategy_engine')(expression)) }}
{%- endmacro %}

{% macro default__integer_or_null(expression) -%}
    try_cast({{ expression }} as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro bigquery__integer_or_null(expression) -%}
    safe_cast({{ expression }} as {{ dbt.type_bigint() }})
{%- endmacro %}
