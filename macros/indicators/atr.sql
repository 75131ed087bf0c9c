{#-
    atr: average true range, TA-Lib ATR.

    Formula: Wilder average of the true range. TA-Lib seeding (unstable period 0): first value at
    row period, the mean of true ranges 1..period (the true range starts at row 1).
    true_range_column comes from the true_range macro.
    Reference: Wilder (1978); TA-Lib ta_ATR.c.
-#}
{% macro atr(true_range_column, period=14, partition_by='symbol', order_by='bar_index', resume_from=none) -%}
    {{ wilder_average(true_range_column, period, partition_by, order_by, input_start=1, resume_from=resume_from) }}
{%- endmacro %}
