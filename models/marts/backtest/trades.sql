-- Round trips of every (strategy, param set, symbol): a signal at the close of day D fills at the
-- open of the symbol's next trading day. The round trips are the ones `positions` decided: its
-- entries and exits alternate (one definition of a trade), and each exit signal names the entry it
-- closes (entry_signal_date), so a trade is an entry signal joined with the exit that names it,
-- with no pairing here; a trade without a filled exit stays open and is marked to the symbol's last
-- close. Costs are charged multiplicatively per side.
-- BigQuery: partitioned by month of entry_date (never NULL), clustered by symbol and strategy.
-- Incremental (trades.yml): the pre_hook deletes the groups whose positions were rewritten on or
-- before their last marked day (replayed) or vanished; the select re-reads, per group, only the
-- signals after its last closed trade's exit signal: the open trade and the trades entered since.
{{
    config(
        materialized='incremental',
        pre_hook="{{ delete_replayed_groups(ref('positions'), ['strategy_id', 'param_set_id', 'symbol'], ['strategy_id', 'param_set_id', 'symbol'], date_column='marked_date') }}",
        **daily_table_config(
            date_column='entry_date',
            cluster_by=['symbol', 'strategy_id', 'param_set_id'],
            unique_key=['strategy_id', 'param_set_id', 'symbol', 'entry_date']
        )
    )
}}

with

-- The last exit signal of each stored group's closed trades (one all-NULL row on a first build):
-- a closed trade never changes unless its group is replayed.
stored_closed_through as (

    {%- if is_incremental() %}
        select
            strategy_id,
            param_set_id,
            symbol,
            max(exit_signal_date) as exit_signal_date
        from {{ this }}
        where not is_open
        group by 1, 2, 3
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as strategy_id,
            cast(null as {{ dbt.type_string() }}) as param_set_id,
            cast(null as {{ dbt.type_string() }}) as symbol,
            cast(null as date) as exit_signal_date
    {%- endif %}

),

-- a trade after the last closed one pairs only signals after that trade's exit signal
signals as (

    select all_signals.*
    from {{ ref('signals') }} as all_signals
    left join stored_closed_through
        on
            all_signals.strategy_id = stored_closed_through.strategy_id
            and all_signals.param_set_id = stored_closed_through.param_set_id
            and all_signals.symbol = stored_closed_through.symbol
    where
        stored_closed_through.exit_signal_date is null
        or all_signals.signal_date > stored_closed_through.exit_signal_date

),

prices as (

    select * from {{ ref('int_backtest_prices') }}

),

cost_rates as (

    select * from {{ ref('int_backtest_cost_rates') }}

),

entry_signals as (

    select
        strategy_id,
        param_set_id,
        symbol,
        signal_date
    from signals
    where signal_type = 'ENTRY_LONG'

),

exit_signals as (

    select
        strategy_id,
        param_set_id,
        symbol,
        signal_date,
        entry_signal_date,
        exit_reason
    from signals
    where signal_type = 'EXIT_LONG'

),

-- one trade per entry signal, closed by the exit signal that names it (none yet: open)
round_trips as (

    select
        entry_signals.strategy_id,
        entry_signals.param_set_id,
        entry_signals.symbol,
        entry_signals.signal_date as entry_signal_date,
        exit_signals.signal_date as exit_signal_date,
        exit_signals.exit_reason as signalled_exit_reason
    from entry_signals
    left join exit_signals
        on
            entry_signals.strategy_id = exit_signals.strategy_id
            and entry_signals.param_set_id = exit_signals.param_set_id
            and entry_signals.symbol = exit_signals.symbol
            and entry_signals.signal_date = exit_signals.entry_signal_date

),

-- the days whose prices the round trips read: their entry and exit signal days
signal_days as (

    select
        symbol,
        entry_signal_date as trade_date
    from round_trips
    union distinct
    select
        symbol,
        exit_signal_date as trade_date
    from round_trips
    where exit_signal_date is not null

),

-- One read of int_backtest_prices for the signal days and each symbol's last day, where its open
-- trades are marked: the last day is the only one without a next day. A daily run re-reads few
-- round trips, so this keeps a few thousand rows instead of joining (and grouping, for the last
-- day) the whole price history five times. A signal day's next_trade_date is the symbol's next
-- row, so its day_number is the signal day's plus one.
price_days as (

    select
        prices.symbol,
        prices.trade_date,
        prices.close,
        prices.next_trade_date,
        prices.next_open,
        prices.day_number
    from prices
    left join signal_days
        on
            prices.symbol = signal_days.symbol
            and prices.trade_date = signal_days.trade_date
    where
        prices.next_trade_date is null
        or signal_days.symbol is not null

),

last_trading_days as (

    select
        symbol,
        trade_date as last_trade_date,
        close as last_close,
        day_number as last_day_number
    from price_days
    where next_trade_date is null

),

filled as (

    select
        round_trips.strategy_id,
        round_trips.param_set_id,
        round_trips.symbol,
        round_trips.entry_signal_date,
        entry_day.next_trade_date as entry_date,
        entry_day.next_open as entry_price,
        entry_day.day_number + 1 as entry_day_number,
        round_trips.exit_signal_date,
        round_trips.signalled_exit_reason,
        exit_day.next_trade_date as exit_date,
        exit_day.next_open as exit_fill_price,
        exit_day.day_number + 1 as exit_fill_day_number,
        last_trading_days.last_trade_date,
        last_trading_days.last_close,
        last_trading_days.last_day_number
    from round_trips
    inner join price_days as entry_day
        on
            round_trips.symbol = entry_day.symbol
            and round_trips.entry_signal_date = entry_day.trade_date
    inner join last_trading_days on round_trips.symbol = last_trading_days.symbol
    left join price_days as exit_day
        on
            round_trips.symbol = exit_day.symbol
            and round_trips.exit_signal_date = exit_day.trade_date
    -- an entry signalled on the symbol's last day has no fill yet
    where entry_day.next_trade_date is not null

),

marked as (

    select
        strategy_id,
        param_set_id,
        symbol,
        entry_signal_date,
        entry_date,
        entry_price,
        exit_date is null as is_open,
        case when exit_date is not null then exit_signal_date end as exit_signal_date,
        exit_date,
        coalesce(exit_fill_price, last_close) as exit_price,
        coalesce(exit_date, last_trade_date) as marked_date,
        case when exit_date is not null then signalled_exit_reason end as exit_reason,
        entry_day_number,
        case when exit_date is not null then exit_fill_day_number else last_day_number end as exit_day_number
    from filled

),

priced as (

    select
        {{ dbt.hash(dbt.concat(["marked.strategy_id", "'|'", "marked.param_set_id", "'|'", "marked.symbol", "'|'",
            "cast(marked.entry_date as " ~ dbt.type_string() ~ ")"])) }} as trade_id,
        marked.strategy_id,
        marked.param_set_id,
        marked.symbol,
        marked.entry_signal_date,
        marked.entry_date,
        marked.entry_price,
        marked.exit_signal_date,
        marked.exit_date,
        marked.exit_price,
        marked.marked_date,
        marked.is_open,
        marked.exit_reason,
        marked.exit_day_number - marked.entry_day_number as holding_days,
        cost_rates.cost_model,
        cost_rates.buy_cost_rate as entry_cost_rate,
        case when marked.is_open then 0.0 else cost_rates.sell_cost_rate end as exit_cost_rate,
        marked.exit_price / marked.entry_price - 1.0 as gross_return,
        (1.0 - cost_rates.buy_cost_rate)
        * (1.0 - case when marked.is_open then 0.0 else cost_rates.sell_cost_rate end)
        * marked.exit_price / marked.entry_price - 1.0 as net_return
    from marked
    cross join cost_rates

),

final as (

    select
        *,
        gross_return - net_return as cost_return,
        {{ run_stamp() }} as computed_at
    from priced

)

select * from final
