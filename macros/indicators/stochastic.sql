{#-
    stochastic: slow stochastic oscillator, TA-Lib STOCH(fastk, slowk, SMA, slowd, SMA).

    Formula: fast %K = 100 * (close - lowest low) / (highest high - lowest low) over fastk_period
    rows (0 when the range is 0, as TA-Lib); slow %K = SMA(fast %K, slowk_period);
    slow %D = SMA(slow %K, slowd_period).
    TA-Lib publishes slow %K and %D from the same row, fastk + slowk + slowd - 3 (17 for 14/3/3);
    both are NULL before it (use stochastic_first_row).
    Reference: G. Lane; TA-Lib ta_STOCH.c.
-#}
{% macro stochastic_fast_k(high, low, close, period=14, partition_by='symbol', order_by='bar_index') -%}
    {%- set frame = 'over (partition by ' ~ partition_by ~ ' order by ' ~ order_by ~ ' rows between ' ~ (period - 1) ~ ' preceding and current row)' -%}
    case
        when {{ order_by }} < {{ period - 1 }} then null
        when max({{ high }}) {{ frame }} - min({{ low }}) {{ frame }} = 0 then 0.0
        else ({{ close }} - min({{ low }}) {{ frame }}) / ((max({{ high }}) {{ frame }} - min({{ low }}) {{ frame }}) / 100.0)
    end
{%- endmacro %}

{% macro stochastic_first_row(fastk_period=14, slowk_period=3, slowd_period=3) -%}
    {{ fastk_period + slowk_period + slowd_period - 3 }}
{%- endmacro %}
