{#-
    sma: simple moving average, TA-Lib SMA.

    Formula: mean of the last `period` inputs. First value at row input_start + period - 1 (the
    first row whose window holds only valid inputs); NULL before, like TA-Lib's warm-up NaN.
    Reference: TA-Lib ta_SMA.c.
-#}
{% macro sma(column, period, partition_by='symbol', order_by='bar_index', input_start=0) -%}
    case when {{ order_by }} >= {{ input_start + period - 1 }} then
        avg({{ column }}) over (
            partition by {{ partition_by }} order by {{ order_by }}
            rows between {{ period - 1 }} preceding and current row
        )
    end
{%- endmacro %}
