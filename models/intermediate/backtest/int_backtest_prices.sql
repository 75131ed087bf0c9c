-- Each symbol's own trading calendar with the prices the backtest fills and marks at.
-- Incremental (int_backtest_prices.yml). A first run (or --full-refresh) computes every symbol from
-- its first row. A daily run first deletes the symbols that int_market_data_adjusted readjusted (pre_hook
-- delete_replayed_groups: a staged row newer than the symbol's stored rows, after a late corporate
-- action, corrected price, late or vanished day; or its last stored day not staged any more), then
-- reads, per symbol, only the rows from its last stored day on: that day is written again (its next_trade_date and next_open are now known),
-- the new days continue its previous_close and day_number. Restated and new symbols have no stored
-- day and are computed from their first row, so the result equals a full refresh.
{{ config(materialized='incremental', **daily_table_config(unique_key=['symbol', 'trade_date'])) }}
{{ config(pre_hook="{{ delete_replayed_groups(ref('int_market_data_adjusted'), ['symbol'], ['symbol']) }}") }}

with

market_data as (

    select * from {{ ref('int_market_data_adjusted') }}

),

-- The last stored row of every symbol (one all-NULL row on a first build, matching nothing): the
-- only one without a next day, since each run rewrites a symbol's last stored day with its next.
-- A filter instead of grouping the whole history by symbol to join its last day back; grouped by
-- symbol (max() of its one row) so that DuckDB expects one row per symbol: joined to staging
-- otherwise, it expected 15M-54M rows at 250 x 10 y and sized the windows below for them.
stored_last_days as (

    {%- if is_incremental() %}
        select
            symbol,
            max(trade_date) as trade_date,
            max(previous_close) as previous_close,
            max(previous_trade_date) as previous_trade_date,
            max(day_number) as day_number
        from {{ this }}
        where next_trade_date is null
        group by symbol
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as symbol,
            cast(null as date) as trade_date,
            cast(null as {{ strategy_float_type() }}) as previous_close,
            cast(null as date) as previous_trade_date,
            cast(null as {{ dbt.type_bigint() }}) as day_number
    {%- endif %}

),

-- a stored symbol's rows from its last stored day on; every row of any other symbol
scoped_days as (

    select
        market_data.symbol,
        market_data.trade_date,
        market_data.open,
        market_data.close,
        stored_last_days.trade_date as stored_through,
        stored_last_days.previous_close as stored_previous_close,
        stored_last_days.previous_trade_date as stored_previous_trade_date,
        stored_last_days.day_number as stored_day_number
    from market_data
    left join stored_last_days on market_data.symbol = stored_last_days.symbol
    where
        stored_last_days.trade_date is null
        or market_data.trade_date >= stored_last_days.trade_date

),

windowed as (

    select
        *,
        lag(close) over (partition by symbol order by trade_date) as lagged_close,
        lag(trade_date) over (partition by symbol order by trade_date) as lagged_trade_date,
        lead(trade_date) over (partition by symbol order by trade_date) as next_trade_date,
        lead(open) over (partition by symbol order by trade_date) as next_open,
        row_number() over (partition by symbol order by trade_date) as scoped_day_number
    from scoped_days

),

-- the stored last day keeps its previous day; the days after it count on from its day_number
final as (

    select
        symbol,
        trade_date,
        open,
        close,
        case when trade_date = stored_through then stored_previous_close else lagged_close end as previous_close,
        case
            when trade_date = stored_through then stored_previous_trade_date else lagged_trade_date
        end as previous_trade_date,
        next_trade_date,
        next_open,
        cast(coalesce(stored_day_number - 1, 0) + scoped_day_number as {{ dbt.type_bigint() }}) as day_number,
        {{ run_stamp() }} as computed_at
    from windowed

)

select * from final
