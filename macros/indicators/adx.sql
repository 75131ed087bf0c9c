{#-
    adx: Wilder's directional movement system, TA-Lib PLUS_DM/MINUS_DM, PLUS_DI, MINUS_DI, DX, ADX.

    Directional movement (row 1 on): up = high - previous high, down = previous low - low;
    +DM = up if up > 0 and up > down else 0; -DM = down if down > 0 and down > up else 0.
    +DM, -DM and the true range are Wilder sums (wilder_sum: seeded with the plain sum of rows
    1..n-1, then S - S/n + x). From row n: +DI = 100 * S(+DM) / S(TR), -DI likewise (0 when S(TR)
    is 0); DX = 100 * |+DI - -DI| / (+DI + -DI) (0 when the DI sum is 0). TA-Lib 0.6+ (ta-lib
    0.8.2) tests exactly 0 here, not the 1e-8 of older releases (checked numerically).
    ADX is the Wilder average of DX seeded with the mean of DX over rows n..2n-1 (first value at
    row 2n - 1).
    Known difference: after its seed TA-Lib holds ADX unchanged on bars where S(TR) or the DI sum is
    exactly 0, where this feeds DX = 0. A Wilder sum that was ever positive only reaches 0 by
    underflow (about 10,000 flat bars), so this needs a series flat (or without any directional
    movement) since its first bar, where both give 0.
    Reference: Wilder (1978); TA-Lib ta_ADX.c, ta_DX.c, ta_PLUS_DI.c, ta_MINUS_DI.c.
-#}
{% macro plus_dm(high, low, partition_by='symbol', order_by='trade_date') -%}
    {%- set frame = 'over (partition by ' ~ partition_by ~ ' order by ' ~ order_by ~ ')' -%}
    {%- set up = '(' ~ high ~ ' - lag(' ~ high ~ ') ' ~ frame ~ ')' -%}
    {%- set down = '(lag(' ~ low ~ ') ' ~ frame ~ ' - ' ~ low ~ ')' -%}
    case when {{ up }} > 0 and {{ up }} > {{ down }} then {{ up }} else 0.0 end
{%- endmacro %}

{% macro minus_dm(high, low, partition_by='symbol', order_by='trade_date') -%}
    {%- set frame = 'over (partition by ' ~ partition_by ~ ' order by ' ~ order_by ~ ')' -%}
    {%- set up = '(' ~ high ~ ' - lag(' ~ high ~ ') ' ~ frame ~ ')' -%}
    {%- set down = '(lag(' ~ low ~ ') ' ~ frame ~ ' - ' ~ low ~ ')' -%}
    case when {{ down }} > 0 and {{ down }} > {{ up }} then {{ down }} else 0.0 end
{%- endmacro %}

{#- Smoothed +DM, -DM or true range (the inputs start at row 1). -#}
{% macro directional_sum(column, period=14, partition_by='symbol', order_by='bar_index', resume_from=none) -%}
    {{ wilder_sum(column, period, partition_by, order_by, input_start=1, resume_from=resume_from) }}
{%- endmacro %}

{#- +DI or -DI from a smoothed DM and the smoothed true range; NULL before row period. -#}
{% macro directional_index(dm_sum, true_range_sum, period=14, order_by='bar_index') -%}
    case
        when {{ order_by }} < {{ period }} then null
        when {{ true_range_sum }} = 0 then 0.0
        else 100.0 * {{ dm_sum }} / {{ true_range_sum }}
    end
{%- endmacro %}

{% macro dx(plus_di, minus_di) -%}
    case
        when {{ plus_di }} is null or {{ minus_di }} is null then null
        when {{ plus_di }} + {{ minus_di }} = 0 then 0.0
        else 100.0 * abs({{ plus_di }} - {{ minus_di }}) / ({{ plus_di }} + {{ minus_di }})
    end
{%- endmacro %}

{% macro adx(dx_column, period=14, partition_by='symbol', order_by='bar_index', resume_from=none) -%}
    {{ wilder_average(dx_column, period, partition_by, order_by, input_start=period, resume_from=resume_from) }}
{%- endmacro %}
