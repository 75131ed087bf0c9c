{#-
    mom: momentum, TA-Lib MOM.

    Formula: close - close `period` rows back. First value at row period.
    Reference: TA-Lib ta_MOM.c.
-#}
{% macro mom(column, period=10, partition_by='symbol', order_by='bar_index') -%}
    {{ column }} - lag({{ column }}, {{ period }}) over (partition by {{ partition_by }} order by {{ order_by }})
{%- endmacro %}
