{#-
    macd: moving average convergence/divergence, TA-Lib MACD(fast, slow, signal).

    Formula: line = EMA_fast(close) - EMA_slow(close); signal = EMA_signal(line);
    histogram = line - signal.
    TA-Lib seeding (unstable period 0): both EMAs start at row slow - 1; the slow EMA is seeded with
    the mean of rows 0..slow-1, the fast EMA with the mean of rows slow-fast..slow-1 (not 0..fast-1).
    The signal EMA is seeded with the mean of the line over rows slow-1..slow+signal-2; line,
    signal and histogram are all NULL before row slow + signal - 2.
    Reference: G. Appel; TA-Lib ta_MACD.c (TA_INT_MACD).
-#}
{% macro macd_fast_ema(column, fast_period=12, slow_period=26, partition_by='symbol', order_by='bar_index', resume_from=none) -%}
    {{ ema(column, fast_period, partition_by, order_by, seed_end=slow_period - 1, resume_from=resume_from) }}
{%- endmacro %}

{% macro macd_signal(line_column, slow_period=26, signal_period=9, partition_by='symbol', order_by='bar_index', resume_from=none) -%}
    {{ ema(line_column, signal_period, partition_by, order_by, input_start=slow_period - 1, resume_from=resume_from) }}
{%- endmacro %}

{#- Row index from which line, signal and histogram are published (TA-Lib's lookback). -#}
{% macro macd_first_row(slow_period=26, signal_period=9) -%}
    {{ slow_period + signal_period - 2 }}
{%- endmacro %}
