{#-
    ema: exponential moving average, TA-Lib EMA.

    Formula: k = 2 / (period + 1); y_t = y_{t-1} + k * (x_t - y_{t-1}).
    TA-Lib seeding (unstable period 0): the first value, at row input_start + period - 1, is the
    simple mean of the first `period` inputs. seed_end moves the first output later while keeping a
    `period`-row mean seed ending there (TA-Lib's MACD seeds its fast EMA that way, at the slow
    EMA's first row). Computed in closed form by linear_recurrence.
    resume_from continues from a stored value (see linear_recurrence).
    Reference: TA-Lib ta_EMA.c (TA_INT_EMA).
-#}
{% macro ema(column, period, partition_by='symbol', order_by='bar_index', input_start=0, seed_end=none, resume_from=none) -%}
    {%- set k = 2.0 / (period + 1) -%}
    {{ linear_recurrence(
        value=column,
        decay=1.0 - k,
        gain=k,
        seed_end=(seed_end if seed_end is not none else input_start + period - 1),
        seed_length=period,
        seed_weight=1.0 / period,
        partition_by=partition_by,
        order_by=order_by,
        resume_from=resume_from
    ) }}
{%- endmacro %}
