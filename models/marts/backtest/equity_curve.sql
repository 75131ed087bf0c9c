-- Daily net returns and equity per (strategy, param set, symbol) over the symbol's calendar, and per
-- portfolio (symbol '__PORTFOLIO__') over the union calendar, each next to its buy-and-hold benchmark.
-- The largest mart (strategies x parameter sets x symbols x days): on BigQuery a query must filter
-- trade_date (require_partition_filter); performance and walk_forward read every_partition().
{{ config(**daily_table_config(cluster_by=['symbol', 'strategy_id', 'param_set_id'], require_partition_filter=true)) }}

with

trades as (

    select * from {{ ref('trades') }}

),

prices as (

    select * from {{ ref('int_backtest_prices') }}

),

strategy_param_sets as (

    select distinct
        strategy_id,
        param_set_id
    from {{ ref('signals') }}

),

-- one leg per (trade, day held): entry day close/open, exit day open/previous close, else close/close
trade_days as (

    select
        trades.strategy_id,
        trades.param_set_id,
        trades.symbol,
        prices.trade_date,
        trades.entry_date,
        case
            when prices.trade_date = trades.entry_date then prices.close / prices.open
            when prices.trade_date = trades.exit_date then prices.open / prices.previous_close
            else prices.close / prices.previous_close
        end as gross_factor,
        case
            when prices.trade_date = trades.entry_date then (1.0 - trades.entry_cost_rate)
            when prices.trade_date = trades.exit_date then (1.0 - trades.exit_cost_rate)
            else 1.0
        end as cost_factor,
        case when prices.trade_date = trades.exit_date then 0 else 1 end as held_at_close,
        (case when prices.trade_date = trades.entry_date then 1 else 0 end)
        + (case when prices.trade_date = trades.exit_date then 1 else 0 end) as fills
    from trades
    inner join prices
        on
            trades.symbol = prices.symbol
            and trades.entry_date <= prices.trade_date
            and trades.marked_date >= prices.trade_date

),

-- an exit and a re-entry can fill on the same open: their factors multiply
symbol_position_days as (

    select
        strategy_id,
        param_set_id,
        symbol,
        trade_date,
        min(entry_date) as entry_date,
        exp(sum(ln(gross_factor))) - 1.0 as gross_return,
        exp(sum(ln(gross_factor * cost_factor))) - 1.0 as net_return,
        max(held_at_close) as held_at_close,
        sum(fills) as fills
    from trade_days
    group by 1, 2, 3, 4

),

symbol_days as (

    select
        strategy_param_sets.strategy_id,
        strategy_param_sets.param_set_id,
        prices.symbol,
        prices.trade_date,
        symbol_position_days.entry_date,
        symbol_position_days.symbol is not null as is_active,
        coalesce(symbol_position_days.gross_return, 0.0) as gross_return,
        coalesce(symbol_position_days.net_return, 0.0) as net_return,
        coalesce(symbol_position_days.held_at_close, 0) as exposure,
        coalesce(symbol_position_days.fills, 0) as turnover,
        coalesce(prices.close / prices.previous_close - 1.0, 0.0) as benchmark_return
    from strategy_param_sets
    cross join prices
    left join symbol_position_days
        on
            strategy_param_sets.strategy_id = symbol_position_days.strategy_id
            and strategy_param_sets.param_set_id = symbol_position_days.param_set_id
            and prices.symbol = symbol_position_days.symbol
            and prices.trade_date = symbol_position_days.trade_date

),

-- portfolio slots go to the positions entered first (ties by symbol), at most max_positions
ranked_active as (

    select
        strategy_id,
        param_set_id,
        symbol,
        trade_date,
        gross_return,
        net_return,
        exposure,
        turnover,
        row_number() over (
            partition by strategy_id, param_set_id, trade_date
            order by entry_date, symbol
        ) as slot
    from symbol_days
    where is_active

),

portfolio_active as (

    select
        strategy_id,
        param_set_id,
        trade_date,
        count(*) as positions,
        avg(gross_return) as gross_return,
        avg(net_return) as net_return,
        max(exposure) as exposure,
        sum(turnover) / count(*) as turnover
    from ranked_active
    where slot <= {{ var('max_positions', 10) }}
    group by 1, 2, 3

),

universe_days as (

    select
        trade_date,
        avg(close / previous_close - 1.0) as benchmark_return
    from prices
    group by 1

),

portfolio_days as (

    select
        strategy_param_sets.strategy_id,
        strategy_param_sets.param_set_id,
        '__PORTFOLIO__' as symbol,
        universe_days.trade_date,
        coalesce(portfolio_active.positions, 0) as positions,
        coalesce(portfolio_active.gross_return, 0.0) as gross_return,
        coalesce(portfolio_active.net_return, 0.0) as net_return,
        coalesce(portfolio_active.exposure, 0) as exposure,
        coalesce(portfolio_active.turnover, 0.0) as turnover,
        coalesce(universe_days.benchmark_return, 0.0) as benchmark_return
    from strategy_param_sets
    cross join universe_days
    left join portfolio_active
        on
            strategy_param_sets.strategy_id = portfolio_active.strategy_id
            and strategy_param_sets.param_set_id = portfolio_active.param_set_id
            and universe_days.trade_date = portfolio_active.trade_date

),

all_days as (

    select
        strategy_id,
        param_set_id,
        symbol,
        trade_date,
        case when is_active then 1 else 0 end as positions,
        gross_return,
        net_return,
        exposure,
        cast(turnover as {{ dbt.type_float() }}) as turnover,
        benchmark_return
    from symbol_days
    union all
    select
        strategy_id,
        param_set_id,
        symbol,
        trade_date,
        positions,
        gross_return,
        net_return,
        exposure,
        turnover,
        benchmark_return
    from portfolio_days

),

final as (

    select
        strategy_id,
        param_set_id,
        symbol,
        trade_date,
        positions,
        cast(exposure as {{ dbt.type_float() }}) as exposure,
        turnover,
        gross_return,
        net_return,
        exp(sum(ln(1.0 + net_return)) over (
            partition by strategy_id, param_set_id, symbol order by trade_date
            rows between unbounded preceding and current row
        )) as equity,
        exp(sum(ln(1.0 + gross_return)) over (
            partition by strategy_id, param_set_id, symbol order by trade_date
            rows between unbounded preceding and current row
        )) as gross_equity,
        benchmark_return,
        exp(sum(ln(1.0 + benchmark_return)) over (
            partition by strategy_id, param_set_id, symbol order by trade_date
            rows between unbounded preceding and current row
        )) as benchmark_equity,
        {{ dbt.current_timestamp() }} as computed_at
    from all_days

)

select * from final
