-- Each symbol's own trading calendar with the prices the backtest fills and marks at.
with

market_data as (

    select * from {{ ref('stg_market_data') }}

),

final as (

    select
        symbol,
        trade_date,
        open,
        close,
        lag(close) over (partition by symbol order by trade_date) as previous_close,
        lead(trade_date) over (partition by symbol order by trade_date) as next_trade_date,
        lead(open) over (partition by symbol order by trade_date) as next_open,
        row_number() over (partition by symbol order by trade_date) as day_number,
        max(trade_date) over (partition by symbol) as last_trade_date
    from market_data

)

select * from final
