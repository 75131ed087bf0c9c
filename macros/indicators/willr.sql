{#-
    willr: Williams %R, TA-Lib WILLR.

    Formula: -100 * (highest high - close) / (highest high - lowest low) over `period` rows;
    0 when the range is 0 (TA-Lib). First value at row period - 1.
    Reference: L. Williams; TA-Lib ta_WILLR.c.
-#}
{% macro willr(high, low, close, period=14, partition_by='symbol', order_by='bar_index') -%}
    {%- set frame = 'over (partition by ' ~ partition_by ~ ' order by ' ~ order_by ~ ' rows between ' ~ (period - 1) ~ ' preceding and current row)' -%}
    case
        when {{ order_by }} < {{ period - 1 }} then null
        when max({{ high }}) {{ frame }} - min({{ low }}) {{ frame }} = 0 then 0.0
        else (max({{ high }}) {{ frame }} - {{ close }}) / ((max({{ high }}) {{ frame }} - min({{ low }}) {{ frame }}) / -100.0)
    end
{%- endmacro %}
