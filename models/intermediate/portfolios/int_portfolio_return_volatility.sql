-- Per (lookback, symbol, trade_date): the sample standard deviation (n - 1) of the symbol's last
-- `lookback` daily returns up to and including trade_date (its own trading days), for every
-- lookback a declared portfolio uses; NULL until the symbol has that many returns. Daily, not
-- annualised: inverse_volatility normalises it away. A view for inspection: portfolio_weights
-- computes the same windows (macro portfolio_return_volatility) over its bounded read, so no run
-- computes them over the whole history unless this view is queried.
{{ config(materialized='view') }}

with

prices as (

    select * from {{ ref('int_backtest_prices') }}

),

returns as (

    select
        symbol,
        trade_date,
        {{ portfolio_daily_return() }} as daily_return
    from prices

),

windows as (

    {{ portfolio_return_volatility('returns') }}

),

final as (

    select
        lookback_days,
        symbol,
        trade_date,
        return_volatility
    from windows

)

select * from final
