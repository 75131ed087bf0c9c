{#-
    simple_return(column, sessions, partition_by, order_by): the simple return over `sessions` rows,
    column / column `sessions` rows back - 1 (NULL for the first `sessions` rows, or when the old
    value is 0). The ML features and the universe return use it on adjusted closes.
-#}
{% macro simple_return(column, sessions=1, partition_by='symbol', order_by='bar_index') -%}
    {{ column }} / nullif(lag({{ column }}, {{ sessions }}) over (partition by {{ partition_by }} order by {{ order_by }}), 0) - 1.0
{%- endmacro %}
