-- One-day close-to-close moves on adjusted prices larger than var('large_move_threshold').
-- Splits and bonus issues are already divided out of adjusted prices, so what remains is a move no
-- corporate action explains: a crash, a rally, or a bad print. Flagged, never changed.
with

-- int_backtest_prices already holds each row's previous close and day (lag over the symbol's
-- staged days), continued incrementally: no second window over the whole history here.
prices as (

    select
        symbol,
        trade_date,
        close,
        previous_close,
        previous_trade_date
    from {{ ref('int_backtest_prices') }}

),

moves as (

    select
        symbol,
        trade_date,
        previous_trade_date,
        previous_close,
        close,
        close / previous_close - 1 as close_return
    from prices
    where previous_close > 0

),

final as (

    select
        symbol,
        trade_date,
        previous_trade_date,
        previous_close,
        close,
        close_return
    from moves
    where abs(close_return) > {{ var('large_move_threshold') }}

)

select * from final
