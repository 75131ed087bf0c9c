{#-
    roc: rate of change in percent, TA-Lib ROC.

    Formula: (close / close `period` rows back - 1) * 100; 0 when the old close is 0 (TA-Lib).
    First value at row period.
    Reference: TA-Lib ta_ROC.c.
-#}
{% macro roc(column, period=10, partition_by='symbol', order_by='bar_index') -%}
    {%- set previous = 'lag(' ~ column ~ ', ' ~ period ~ ') over (partition by ' ~ partition_by ~ ' order by ' ~ order_by ~ ')' -%}
    case
        when {{ previous }} is null then null
        when {{ previous }} = 0 then 0.0
        else ({{ column }} / {{ previous }} - 1.0) * 100.0
    end
{%- endmacro %}
