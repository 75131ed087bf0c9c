{#-
    bollinger: Bollinger bands, TA-Lib BBANDS(period, deviations, deviations, SMA).

    Formula: middle = SMA(period); band = middle +/- deviations * population standard deviation
    over the same window (flat prices give three equal bands). First value at row period - 1.
    TA-Lib computes the variance as mean(x^2) - mean(x)^2, which loses about eps * mean(x)^2;
    var_pop here is exact to a few ulps, so TA-Lib is the less precise side when they differ.
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

{#- Standard deviation from a variance, 0 for a non-positive variance as TA-Lib's STDDEV
    (TA-Lib 0.6+ has no 1e-8 floor here, checked numerically against ta-lib 0.8.2). -#}
{% macro talib_stddev(variance) -%}
    case when {{ variance }} <= 0 then 0.0 else sqrt({{ variance }}) end
{%- endmacro %}
