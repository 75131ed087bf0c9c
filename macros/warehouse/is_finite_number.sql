{#-
    is_finite_number(expression): true when the number is neither infinite nor NaN, NULL for NULL.
    DuckDB: isfinite(x). BigQuery has no isfinite: not (is_inf(x) or is_nan(x)).
    Integers are always finite; both warehouses widen them to a float for these functions.
-#}
{% macro is_finite_number(expression) -%}
    {{ return(adapter.dispatch('is_finite_number', 'strategy_engine')(expression)) }}
{%- endmacro %}

{% macro default__is_finite_number(expression) -%}
    isfinite({{ expression }})
{%- endmacro %}

{% macro bigquery__is_finite_number(expression) -%}
    not (is_inf({{ expression }}) or is_nan({{ expression }}))
{%- endmacro %}
