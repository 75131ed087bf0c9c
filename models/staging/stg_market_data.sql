-- Accepted end-of-day rows, one per (symbol, trade_date), as traded: the rows of
-- base_market_data_checked that break no invariant, with the typed columns downstream reads and
-- none of the checking columns. Prices are not adjusted here (int_market_data_adjusted does that).
--
-- A view, not a table: its one model reader is int_market_data_adjusted, which on a daily run
-- reads only the rows checked since its last run (its filter on computed_at goes through the view
-- into the scan of the stored base_market_data_checked), and every other model reads adjusted
-- prices from int_market_data_adjusted. A stored copy would write every accepted row a second time
-- (and append to it every day) for a single reader that reads a few of them; the window functions
-- of the checks are already stored once, in base_market_data_checked.
{{ config(materialized='view') }}

with

checked as (

    select * from {{ ref('base_market_data_checked') }}

),

final as (

    select
        symbol,
        trade_date,
        open,
        high,
        low,
        close,
        volume,
        traded_value,
        trades,
        series,
        exchange,
        source_file,
        loaded_at,
        computed_at
    from checked
    where reject_reason is null

)

select * from final
