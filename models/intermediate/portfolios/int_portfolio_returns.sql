-- Daily close-to-close simple returns of adjusted closes per (symbol, trade_date), numbered by the
-- portfolios' calendar (int_portfolio_sessions), which the sizing methods read: the return of day D
-- is close(D) / close(previous trading day of the symbol) - 1, NULL on the symbol's first day.
with

prices as (

    select * from {{ ref('int_backtest_prices') }}

),

sessions as (

    select * from {{ ref('int_portfolio_sessions') }}

),

final as (

    select
        prices.symbol,
        prices.trade_date,
        sessions.session_number,
        prices.close,
        prices.close / nullif(prices.previous_close, 0) - 1 as daily_return
    from prices
    inner join sessions on prices.trade_date = sessions.trade_date

)

select * from final
