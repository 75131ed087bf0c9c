{#-
    cci: commodity channel index, TA-Lib CCI.

    Formula: with TP = (high + low + close) / 3 and M = SMA(TP, period):
    CCI = (TP - M) / (0.015 * mean_j |TP_j - M|), the mean deviation taken around the CURRENT
    window's mean (so it is unrolled into `period` lags rather than a window aggregate).
    0 when TP - M or the mean deviation is 0 (TA-Lib). First value at row period - 1.
    mean_column is SMA(TP, period) computed in an earlier step (sma macro).
    Reference: D. Lambert; TA-Lib ta_CCI.c.
-#}
{% macro typical_price(high, low, close) -%}
    ({{ high }} + {{ low }} + {{ close }}) / 3.0
{%- endmacro %}

{% macro cci(typical_price_column, mean_column, period=20, partition_by='symbol', order_by='bar_index') -%}
    {%- set deviation -%}
        ({% for lag_rows in range(period) -%}
            abs(lag({{ typical_price_column }}, {{ lag_rows }}) over (partition by {{ partition_by }} order by {{ order_by }}) - {{ mean_column }})
            {%- if not loop.last %} + {% endif -%}
        {%- endfor %}) / {{ period }}.0
    {%- endset -%}
    case
        when {{ order_by }} < {{ period - 1 }} then null
        when {{ typical_price_column }} - {{ mean_column }} = 0 or {{ deviation }} = 0 then 0.0
        else ({{ typical_price_column }} - {{ mean_column }}) / (0.015 * {{ deviation }})
    end
{%- endmacro %}
