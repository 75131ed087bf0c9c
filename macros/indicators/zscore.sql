{#-
    zscore: rolling z-score.

    Formula: (x - SMA(x, period)) / population standard deviation over the same window; NULL when
    the deviation is 0 (TA-Lib has no z-score; the mean and deviation match its SMA and STDDEV).
    First value at row input_start + period - 1.
-#}
{% macro zscore(column, period=20, partition_by='symbol', order_by='bar_index', input_start=0) -%}
    {%- set frame = 'over (partition by ' ~ partition_by ~ ' order by ' ~ order_by ~ ' rows between ' ~ (period - 1) ~ ' preceding and current row)' -%}
    case
        when {{ order_by }} < {{ input_start + period - 1 }} then null
        when stddev_pop({{ column }}) {{ frame }} = 0 then null
        else ({{ column }} - avg({{ column }}) {{ frame }}) / stddev_pop({{ column }}) {{ frame }}
    end
{%- endmacro %}
