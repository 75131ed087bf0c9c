-- noqa: disable=LT02
-- (sqlfluff mis-reads the indentation of SQL generated inside this Jinja-only macro.)
{#-
    The sizing inputs computed from prices, one home for the view int_portfolio_return_volatility
    and the bounded read of the incremental mart portfolio_weights:

    portfolio_daily_return(prices): the expression of a row's simple close-to-close return,
        r(s, t) = close(s, t) / close(s, previous trading day of s) - 1 (NULL on the symbol's first
        day), from a relation with close and previous_close (int_backtest_prices); `prices` is the
        relation's name in the query, or none for unqualified columns.

    portfolio_lookbacks(): the distinct volatility lookbacks the declared portfolios use, sorted.

    portfolio_return_volatility(returns): per (lookback, symbol, trade_date), for every lookback
        of portfolio_lookbacks(), the sample standard deviation (n - 1) of the symbol's last
        `lookback` returns up to and including trade_date, counted on its own trading days; NULL
        until it has that many. `returns` has symbol, trade_date and daily_return. One window per
        lookback (a window frame's length is a constant), so the lookbacks are compile-time values.
        A window over a slice of a symbol's rows is right from the lookback-th row of the slice on.
-#}
{% macro portfolio_daily_return(prices=none) -%}
    {%- set prefix = prices ~ '.' if prices else '' -%}
    {{ prefix }}close / nullif({{ prefix }}previous_close, 0) - 1
{%- endmacro %}

{% macro portfolio_lookbacks() %}
    {%- set lookbacks = [] %}
    {%- for portfolio in portfolio_definitions() if portfolio.lookback_days is not none and portfolio.lookback_days not in lookbacks %}
        {%- do lookbacks.append(portfolio.lookback_days) %}
    {%- endfor %}
    {{ return(lookbacks | sort) }}
{% endmacro %}

{% macro portfolio_return_volatility(returns) -%}
    {%- for lookback in portfolio_lookbacks() %}
        select
            cast({{ lookback }} as {{ dbt.type_bigint() }}) as lookback_days,
            symbol,
            trade_date,
            case
                when count(daily_return) over (partition by symbol order by trade_date rows between {{ lookback - 1 }} preceding and current row) = {{ lookback }}
                    then stddev_samp(daily_return) over (partition by symbol order by trade_date rows between {{ lookback - 1 }} preceding and current row)
            end as return_volatility
        from {{ returns }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- else %}
        select
            cast(null as {{ dbt.type_bigint() }}) as lookback_days,
            symbol,
            trade_date,
            cast(null as {{ strategy_float_type() }}) as return_volatility
        from {{ returns }}
        where false
    {%- endfor %}
{%- endmacro %}
