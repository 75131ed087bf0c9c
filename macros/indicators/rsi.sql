{#-
    rsi: relative strength index, TA-Lib RSI.

    Formula: with gain_t = max(change_t, 0), loss_t = max(-change_t, 0) (change = close - previous
    close), AG and AL their Wilder averages: RSI = 100 * AG / (AG + AL).
    TA-Lib seeding (unstable period 0): the first value is at row period (change starts at row 1),
    AG and AL seeded with the mean of changes 1..period. RSI is 0 when AG + AL is 0 (flat prices
    give 0, not 50); TA-Lib 0.6+ (ta-lib 0.8.2) tests exactly 0, not the 1e-8 of older releases
    (checked numerically down to 1e-310). change_column must be NULL only on row 0.
    Reference: Wilder (1978); TA-Lib ta_RSI.c.
-#}
{% macro rsi_average_gain(change_column, period, partition_by='symbol', order_by='bar_index', resume_from=none) -%}
    {{ wilder_average('case when ' ~ change_column ~ ' > 0 then ' ~ change_column ~ ' else 0 end', period, partition_by, order_by, input_start=1, resume_from=resume_from) }}
{%- endmacro %}

{% macro rsi_average_loss(change_column, period, partition_by='symbol', order_by='bar_index', resume_from=none) -%}
    {{ wilder_average('case when ' ~ change_column ~ ' < 0 then -' ~ change_column ~ ' else 0 end', period, partition_by, order_by, input_start=1, resume_from=resume_from) }}
{%- endmacro %}

{#- The final step, on the two Wilder averages computed by the macros above. -#}
{% macro rsi(average_gain, average_loss) -%}
    case
        when {{ average_gain }} + {{ average_loss }} = 0 then 0.0
        else 100.0 * {{ average_gain }} / ({{ average_gain }} + {{ average_loss }})
    end
{%- endmacro %}
