{#-
    Wilder smoothing, the two forms TA-Lib uses.

    wilder_average (RSI average gain/loss, ATR, ADX): y_t = (y_{t-1} * (n - 1) + x_t) / n,
    seeded at row input_start + n - 1 with the mean of the first n inputs.
    wilder_sum (ADX/DI's smoothed +DM, -DM and true range): S_t = S_{t-1} - S_{t-1} / n + x_t,
    seeded at row input_start + n - 2 with the plain sum of the first n - 1 inputs.
    resume_from continues either from a stored value (see linear_recurrence).
    Both are linear recursions with decay 1 - 1/n, computed in closed form by linear_recurrence.
    Reference: J. W. Wilder, New Concepts in Technical Trading Systems (1978); TA-Lib ta_RSI.c,
    ta_ATR.c, ta_ADX.c (unstable period 0).
-#}
{% macro wilder_average(column, period, partition_by='symbol', order_by='bar_index', input_start=0, resume_from=none) -%}
    {{ linear_recurrence(
        value=column,
        decay=1.0 - 1.0 / period,
        gain=1.0 / period,
        seed_end=input_start + period - 1,
        seed_length=period,
        seed_weight=1.0 / period,
        partition_by=partition_by,
        order_by=order_by,
        resume_from=resume_from
    ) }}
{%- endmacro %}

{% macro wilder_sum(column, period, partition_by='symbol', order_by='bar_index', input_start=0, resume_from=none) -%}
    {{ linear_recurrence(
        value=column,
        decay=1.0 - 1.0 / period,
        gain=1.0,
        seed_end=input_start + period - 2,
        seed_length=period - 1,
        seed_weight=1.0,
        partition_by=partition_by,
        order_by=order_by,
        resume_from=resume_from
    ) }}
{%- endmacro %}
