{#-
    mfi: money flow index, TA-Lib MFI.

    Formula: TP = (high + low + close) / 3, raw money flow = TP * volume, positive when TP rose
    from the previous row, negative when it fell (neither when equal). Over `period` rows:
    A change within 1e-12 of TP (relative) counts as equal: prices are exact decimals, so two
    typical prices that are equal in decimal can differ by one rounding step (2e-13 on 1141.22,
    ASIANPAINT 2017-06-15/16) in either direction; TA-Lib's build sees them as equal.
    MFI = 100 * positive / (positive + negative); 0 when positive + negative is 0 (TA-Lib 0.6+,
    checked numerically; older releases used < 1).
    First value at row period (TP change starts at row 1).
    typical_price_change is TP minus the previous row's TP (NULL on row 0).
    Reference: G. Quong and A. Soudack; TA-Lib ta_MFI.c.
-#}
{% macro mfi(typical_price, typical_price_change, volume, period=14, partition_by='symbol', order_by='bar_index') -%}
    {%- set frame = 'over (partition by ' ~ partition_by ~ ' order by ' ~ order_by ~ ' rows between ' ~ (period - 1) ~ ' preceding and current row)' -%}
    {%- set positive = 'sum(case when ' ~ typical_price_change ~ ' > 1e-12 * abs(' ~ typical_price ~ ') then ' ~ typical_price ~ ' * ' ~ volume ~ ' else 0 end) ' ~ frame -%}
    {%- set negative = 'sum(case when ' ~ typical_price_change ~ ' < -1e-12 * abs(' ~ typical_price ~ ') then ' ~ typical_price ~ ' * ' ~ volume ~ ' else 0 end) ' ~ frame -%}
    case
        when {{ order_by }} < {{ period }} then null
        when {{ positive }} + {{ negative }} = 0 then 0.0
        else 100.0 * {{ positive }} / ({{ positive }} + {{ negative }})
    end
{%- endmacro %}
