-- Symbols with market data that the symbol_universe seed does not list. They are processed like
-- any other symbol (sector unknown); this only makes them visible.
with

market as (

    select * from {{ ref('int_market_data_adjusted') }}

),

universe as (

    select upper(symbol) as symbol from {{ ref('symbol_universe') }}

),

per_symbol as (

    select
        symbol,
        min(trade_date) as first_date,
        max(trade_date) as last_date,
        count(*) as row_count
    from market
    group by symbol

),

final as (

    select
        per_symbol.symbol,
        per_symbol.first_date,
        per_symbol.last_date,
        per_symbol.row_count
    from per_symbol
    left join universe on per_symbol.symbol = universe.symbol
    where universe.symbol is null

)

select * from final
