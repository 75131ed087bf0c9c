{#-
    realized_volatility: annualized realized volatility of log returns.

    Formula: population standard deviation of ln(close_t / close_{t-1}) over `period` rows times
    sqrt(periods_per_year), i.e. TA-Lib STDDEV(log_return, period, 1) * sqrt(252). Log returns
    start at row 1, so the first value is at row period.
    Reference: TA-Lib ta_STDDEV.c.
-#}
{% macro log_return(close, partition_by='symbol', order_by='trade_date') -%}
    ln({{ close }} / lag({{ close }}) over (partition by {{ partition_by }} order by {{ order_by }}))
{%- endmacro %}

{% macro realized_volatility(log_return_column, period=20, periods_per_year=252, partition_by='symbol', order_by='bar_index') -%}
    case when {{ order_by }} >= {{ period }} then
        {{ talib_stddev('var_pop(' ~ log_return_column ~ ') over (partition by ' ~ partition_by ~ ' order by ' ~ order_by ~ ' rows between ' ~ (period - 1) ~ ' preceding and current row)') }}
        * sqrt({{ periods_per_year }}.0)
    end
{%- endmacro %}
