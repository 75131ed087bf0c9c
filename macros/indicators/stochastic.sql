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

{#- Slow %D: SMA(slowd_period) of slow %K = SMA(slowk_period) of fast %K, written as the mean of
    slowd_period shifted slow %K windows of the fast %K column (row t - i: the slowk_period rows
    ending i rows back), so it needs no window over slow %K and shares slow %K's window order.
    First value at row input_start + slowk_period + slowd_period - 2 (input_start: fast %K's first
    row). -#}
{% macro stochastic_slow_d(fast_k_column, slowk_period=3, slowd_period=3, partition_by='symbol', order_by='bar_index', input_start=0) -%}
    {%- set shifted_slow_k = [] -%}
    {%- for rows_back in range(slowd_period) -%}
        {%- set frame_end = (rows_back ~ ' preceding') if rows_back else 'current row' -%}
        {%- do shifted_slow_k.append('avg(' ~ fast_k_column ~ ') over (partition by ' ~ partition_by ~ ' order by ' ~ order_by
            ~ ' rows between ' ~ (rows_back + slowk_period - 1) ~ ' preceding and ' ~ frame_end ~ ')') -%}
    {%- endfor -%}
    case when {{ order_by }} >= {{ input_start + slowk_period + slowd_period - 2 }} then
        ({{ shifted_slow_k | join(' + ') }}) / {{ slowd_period }}.0
    end
{%- endmacro %}

{% macro stochastic_first_row(fastk_period=14, slowk_period=3, slowd_period=3) -%}
    {{ fastk_period + slowk_period + slowd_period - 3 }}
{%- endmacro %}
