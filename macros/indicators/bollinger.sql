{#-
    bollinger: Bollinger bands, TA-Lib BBANDS(period, deviations, deviations, SMA).

    Formula: middle = SMA(period); band = middle +/- deviations * population standard deviation
    over the same window. TA-Lib sets the deviation to 0 when the variance is below 1e-8
    (TA_IS_ZERO_OR_NEG), so flat prices give three equal bands. First value at row period - 1.
    band is 'upper', 'middle' or 'lower'.
    Reference: J. Bollinger; TA-Lib ta_BBANDS.c, ta_STDDEV.c.
-#}
{% macro bollinger(column, band, period=20, deviations=2.0, partition_by='symbol', order_by='bar_index', input_start=0) -%}
    {%- set frame = 'over (partition by ' ~ partition_by ~ ' order by ' ~ order_by ~ ' rows between ' ~ (period - 1) ~ ' preceding and current row)' -%}
    {%- set mean = 'avg(' ~ column ~ ') ' ~ frame -%}
    {%- set deviation = talib_stddev('var_pop(' ~ column ~ ') ' ~ frame) -%}
    {%- set band_offset = {'upper': ' + ' ~ deviations ~ ' * ' ~ deviation, 'middle': '', 'lower': ' - ' ~ deviations ~ ' * ' ~ deviation} -%}
    case when {{ order_by }} >= {{ input_start + period - 1 }} then {{ mean }}{{ band_offset[band] }} end
{%- endmacro %}

{#- Standard deviation from a variance the way TA-Lib does it: 0 below a variance of 1e-8. -#}
{% macro talib_stddev(variance) -%}
    case when {{ variance }} < 1e-8 then 0.0 else sqrt({{ variance }}) end
{%- endmacro %}
