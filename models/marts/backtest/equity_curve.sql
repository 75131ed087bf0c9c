-- Daily net returns and equity per (strategy, param set, symbol) over the symbol's calendar, and per
-- portfolio (symbol '__PORTFOLIO__') over the union calendar, each next to its buy-and-hold benchmark.
-- Incremental (equity_curve.yml): the pre_hooks delete the portfolios and symbol groups to replay
-- (their positions were rewritten: late corporate action, corrected price; or they vanished); every
-- other group continues after its last stored day from the equities stored on that day.
{{
    config(
        materialized='incremental',
        pre_hook=[
            "{{ delete_replayed_portfolios(ref('positions')) }}",
            "{{ delete_replayed_groups(ref('positions'), ['strategy_id', 'param_set_id', 'symbol'], ['strategy_id', 'param_set_id', 'symbol'], stored_filter=\"symbol != '__PORTFOLIO__'\") }}",
            "{{ delete_vanished_keys(ref('signals'), ['strategy_id', 'param_set_id']) }}",
        ],
        **daily_table_config(
            cluster_by=['symbol', 'strategy_id', 'param_set_id'],
            unique_key=['strategy_id', 'param_set_id', 'symbol', 'trade_date']
        )
    )
}}
{#- The latest run's rows are looked for from two weeks before the newest stored day on (a literal
    read before the run, so that the scan filters by it; offline a subquery): after a full build
    the latest run wrote every row, and grouping them all took 38 s of the first daily run at
    2,000 x 20 y. A group whose last row is older is looked up as an unwritten group below. #}
{%- set recent_from = none %}
{%- if is_incremental() %}
    {%- if var('se_offline_is_incremental', none) is not none %}
        {%- set recent_from = dbt.dateadd('day', -14, '(select max(trade_date) from ' ~ this ~ ')') %}
    {%- elif execute %}
        {%- set newest = run_query('select max(trade_date) from ' ~ this).rows[0][0] %}
        {%- if newest is not none %}
            {%- set recent_from = date_literal(newest, 14) %}
        {%- endif %}
    {%- endif %}
{%- endif %}

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

-- noqa: disable=LT02,ST03
-- (sqlfluff cannot follow the indentation of CTEs inside a Jinja conditional, nor see that the
-- incremental-only CTEs are used.)
{%- if is_incremental() %}

-- The rows the latest run wrote (computed_at is its stamp). A run writes a group's days after its
-- last stored day, or all its days when it replays the group, so every group it wrote has its last
-- stored row among them: a daily run reads these instead of grouping the whole table by group
-- (7M rows at 250 x 10 y, two thirds of the select's time).
latest_rows as (

    select
        strategy_id,
        param_set_id,
        symbol,
        trade_date,
        equity,
        gross_equity,
        benchmark_equity
    from {{ this }}
    where
        computed_at = (select max(computed_at) from {{ this }})
        {%- if recent_from is not none %}
        and trade_date >= {{ recent_from }}
        {%- endif %}

),

latest_last_rows as (

    {{ last_stored_rows('latest_rows', ['strategy_id', 'param_set_id', 'symbol'], 'trade_date') }}

),

-- The groups computed below that the latest run did not write (a symbol without a new day, a
-- portfolio or set it skipped): only their last rows are looked up in the whole table. In a plain
-- daily run there are none, and DuckDB does not scan the table for them.
unwritten_groups as (

    select
        strategy_param_sets.strategy_id,
        strategy_param_sets.param_set_id,
        group_symbols.symbol
    from strategy_param_sets
    cross join (
        select distinct symbol from prices
        union all
        select '__PORTFOLIO__' as symbol
    ) as group_symbols
    left join latest_last_rows
        on
            strategy_param_sets.strategy_id = latest_last_rows.strategy_id
            and strategy_param_sets.param_set_id = latest_last_rows.param_set_id
            and group_symbols.symbol = latest_last_rows.symbol
    where latest_last_rows.symbol is null

),

unwritten_last_rows as (

    select
        stored.strategy_id,
        stored.param_set_id,
        stored.symbol,
        stored.trade_date,
        stored.equity,
        stored.gross_equity,
        stored.benchmark_equity
    from {{ this }} as stored
    inner join (
        select
            unwritten_rows.strategy_id,
            unwritten_rows.param_set_id,
            unwritten_rows.symbol,
            max(unwritten_rows.trade_date) as last_date
        from {{ this }} as unwritten_rows
        inner join unwritten_groups
            on
                unwritten_rows.strategy_id = unwritten_groups.strategy_id
                and unwritten_rows.param_set_id = unwritten_groups.param_set_id
                and unwritten_rows.symbol = unwritten_groups.symbol
        group by 1, 2, 3
    ) as last_days
        on
            stored.strategy_id = last_days.strategy_id
            and stored.param_set_id = last_days.param_set_id
            and stored.symbol = last_days.symbol
            and stored.trade_date = last_days.last_date

),

{%- endif %}
-- noqa: enable=LT02,ST03

-- The last stored row of every group computed below (one all-NULL row on a first build, matching
-- nothing).
stored_last_rows as (

    {%- if is_incremental() %}
        select
            strategy_id,
            param_set_id,
            symbol,
            trade_date as last_date,
            equity,
            gross_equity,
            benchmark_equity
        from latest_last_rows
        union all
        select
            strategy_id,
            param_set_id,
            symbol,
            trade_date as last_date,
            equity,
            gross_equity,
            benchmark_equity
        from unwritten_last_rows
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as strategy_id,
            cast(null as {{ dbt.type_string() }}) as param_set_id,
            cast(null as {{ dbt.type_string() }}) as symbol,
            cast(null as date) as last_date,
            cast(null as {{ strategy_float_type() }}) as equity,
            cast(null as {{ strategy_float_type() }}) as gross_equity,
            cast(null as {{ strategy_float_type() }}) as benchmark_equity
    {%- endif %}

),

stored_portfolios as (

    select * from stored_last_rows
    where symbol = '__PORTFOLIO__'

),

-- Every symbol group: rows after stored_through are written, continuing from its stored equities.
-- A portfolio that is recomputed ranks its members' positions from its first day, so its members
-- are computed from their first day (computed_after NULL) even where only new rows are written.
-- group_number and set_number are integer stand-ins for the text keys: the day-level joins, sorts
-- and windows below use them (far cheaper than three strings), the text keys are joined back last.
symbol_groups as (

    select
        strategy_param_sets.strategy_id,
        strategy_param_sets.param_set_id,
        symbols.symbol,
        stored_member.last_date as stored_through,
        stored_member.equity as stored_equity,
        stored_member.gross_equity as stored_gross_equity,
        stored_member.benchmark_equity as stored_benchmark_equity,
        case when stored_portfolio.last_date is not null then stored_member.last_date end as computed_after,
        row_number() over (
            order by symbols.symbol, strategy_param_sets.strategy_id, strategy_param_sets.param_set_id
        ) as group_number,
        dense_rank() over (order by strategy_param_sets.strategy_id, strategy_param_sets.param_set_id) as set_number
    from strategy_param_sets
    cross join (select distinct symbol from prices) as symbols
    left join stored_last_rows as stored_member
        on
            strategy_param_sets.strategy_id = stored_member.strategy_id
            and strategy_param_sets.param_set_id = stored_member.param_set_id
            and symbols.symbol = stored_member.symbol
    left join stored_portfolios as stored_portfolio
        on
            strategy_param_sets.strategy_id = stored_portfolio.strategy_id
            and strategy_param_sets.param_set_id = stored_portfolio.param_set_id

),

-- The earliest day each symbol is computed from, so that a daily run reads only new prices.
symbol_scopes as (

    select
        symbol,
        min(computed_after) as computed_after,
        max(case when computed_after is null then 1 else 0 end) as from_first_day
    from symbol_groups
    group by 1

),

scoped_prices as (

    select prices.*
    from prices
    inner join symbol_scopes
        on prices.symbol = symbol_scopes.symbol
    where symbol_scopes.from_first_day = 1 or prices.trade_date > symbol_scopes.computed_after

),

-- The buy-and-hold benchmark is the same for every parameter set of a symbol that continues from
-- the same stored day: it is compounded once per (symbol, stored_through) over the scoped prices
-- (630k rows at 250 x 10 y on a full build) instead of once per group in the day-level window
-- (7M rows). benchmark_start stands for stored_through in the join (NULL matches nothing).
symbol_benchmarks as (

    select
        benchmark_starts.symbol,
        benchmark_starts.benchmark_start,
        scoped_prices.trade_date,
        coalesce(scoped_prices.close / scoped_prices.previous_close - 1.0, 0.0) as benchmark_return,
        sum(
            case
                when benchmark_starts.stored_through is null or scoped_prices.trade_date > benchmark_starts.stored_through
                    then ln(1.0 + coalesce(scoped_prices.close / scoped_prices.previous_close - 1.0, 0.0))
                else 0.0
            end
        ) over (
            partition by benchmark_starts.symbol, benchmark_starts.benchmark_start
            order by scoped_prices.trade_date
            rows between unbounded preceding and current row
        ) as benchmark_log_growth
    from (
        select distinct
            symbol,
            stored_through,
            coalesce(stored_through, cast('1900-01-01' as date)) as benchmark_start
        from symbol_groups
    ) as benchmark_starts
    inner join scoped_prices
        on benchmark_starts.symbol = scoped_prices.symbol

),

-- the trades with a day after the group's computed_after (on a daily run: open, closed or opened since)
scoped_trades as (

    select
        trades.*,
        symbol_groups.group_number
    from trades
    inner join symbol_groups
        on
            trades.strategy_id = symbol_groups.strategy_id
            and trades.param_set_id = symbol_groups.param_set_id
            and trades.symbol = symbol_groups.symbol
    where symbol_groups.computed_after is null or trades.marked_date > symbol_groups.computed_after

),

-- one leg per (trade, day held): entry day close/open, exit day open/previous close, else close/close
trade_days as (

    select
        scoped_trades.group_number,
        scoped_prices.trade_date,
        scoped_trades.entry_date,
        case
            when scoped_prices.trade_date = scoped_trades.entry_date then scoped_prices.close / scoped_prices.open
            when scoped_prices.trade_date = scoped_trades.exit_date then scoped_prices.open / scoped_prices.previous_close
            else scoped_prices.close / scoped_prices.previous_close
        end as gross_factor,
        case
            when scoped_prices.trade_date = scoped_trades.entry_date then (1.0 - scoped_trades.entry_cost_rate)
            when scoped_prices.trade_date = scoped_trades.exit_date then (1.0 - scoped_trades.exit_cost_rate)
            else 1.0
        end as cost_factor,
        case when scoped_prices.trade_date = scoped_trades.exit_date then 0 else 1 end as held_at_close,
        (case when scoped_prices.trade_date = scoped_trades.entry_date then 1 else 0 end)
        + (case when scoped_prices.trade_date = scoped_trades.exit_date then 1 else 0 end) as fills
    from scoped_trades
    inner join scoped_prices
        on
            scoped_trades.symbol = scoped_prices.symbol
            and scoped_trades.entry_date <= scoped_prices.trade_date
            and scoped_trades.marked_date >= scoped_prices.trade_date

),

-- an exit and a re-entry can fill on the same open: their factors multiply
symbol_position_days as (

    select
        group_number,
        trade_date,
        min(entry_date) as entry_date,
        exp(sum(ln(gross_factor))) - 1.0 as gross_return,
        exp(sum(ln(gross_factor * cost_factor))) - 1.0 as net_return,
        max(held_at_close) as held_at_close,
        sum(fills) as fills
    from trade_days
    group by 1, 2

),

-- Every day of every symbol group, with the buy-and-hold benchmark and no position: the days held
-- come as separate rows (held_days) and replace these in `compounded`, which sorts both anyway. A
-- join of the two would build a hash table over one of them (111M or 41M rows at 2,000 x 20 y) next
-- to the window's sort: with a 6GB memory limit the full build ran out of memory there.
symbol_days as (

    select
        symbol_groups.group_number,
        symbol_benchmarks.trade_date,
        symbol_groups.stored_through,
        0 as is_held,
        0 as positions,
        cast(0.0 as {{ strategy_float_type() }}) as gross_return,
        cast(0.0 as {{ strategy_float_type() }}) as net_return,
        0 as exposure,
        cast(0.0 as {{ dbt.type_float() }}) as turnover,
        symbol_benchmarks.benchmark_return,
        symbol_benchmarks.benchmark_log_growth
    from symbol_groups
    inner join symbol_benchmarks
        on
            symbol_groups.symbol = symbol_benchmarks.symbol
            and coalesce(symbol_groups.stored_through, cast('1900-01-01' as date)) = symbol_benchmarks.benchmark_start
            and (symbol_groups.computed_after is null or symbol_groups.computed_after < symbol_benchmarks.trade_date)

),

-- the days held (each also a day of symbol_days), without their benchmark: `compounded` takes it
-- from the symbol_days row of the same day, sorted right before
held_days as (

    select
        symbol_position_days.group_number,
        symbol_groups.set_number,
        symbol_position_days.trade_date,
        symbol_groups.stored_through,
        symbol_position_days.entry_date,
        1 as is_held,
        1 as positions,
        symbol_position_days.gross_return,
        symbol_position_days.net_return,
        symbol_position_days.held_at_close as exposure,
        cast(symbol_position_days.fills as {{ dbt.type_float() }}) as turnover,
        cast(null as {{ strategy_float_type() }}) as benchmark_return,
        cast(null as {{ strategy_float_type() }}) as benchmark_log_growth
    from symbol_position_days
    inner join symbol_groups
        on symbol_position_days.group_number = symbol_groups.group_number
    where symbol_groups.computed_after is null or symbol_groups.computed_after < symbol_position_days.trade_date

),

-- portfolio slots go to the positions entered first (ties by symbol: within a parameter set,
-- group_number follows the symbol), at most max_positions
ranked_active as (

    select
        set_number,
        trade_date,
        gross_return,
        net_return,
        exposure,
        turnover,
        row_number() over (
            partition by trade_date, set_number
            order by entry_date, group_number
        ) as slot
    from held_days

),

portfolio_active as (

    select
        set_number,
        trade_date,
        count(*) as positions,
        avg(gross_return) as gross_return,
        avg(net_return) as net_return,
        max(exposure) as exposure,
        sum(turnover) / count(*) as turnover
    from ranked_active
    where slot <= {{ var('max_positions', 10) }}
    group by 1, 2

),

portfolio_groups as (

    select
        strategy_param_sets.strategy_id,
        strategy_param_sets.param_set_id,
        stored_portfolio.last_date as stored_through,
        stored_portfolio.equity as stored_equity,
        stored_portfolio.gross_equity as stored_gross_equity,
        stored_portfolio.benchmark_equity as stored_benchmark_equity,
        dense_rank() over (order by strategy_param_sets.strategy_id, strategy_param_sets.param_set_id) as set_number,
        -- negative: apart from every symbol group's number
        -dense_rank() over (order by strategy_param_sets.strategy_id, strategy_param_sets.param_set_id) as group_number
    from strategy_param_sets
    left join stored_portfolios as stored_portfolio
        on
            strategy_param_sets.strategy_id = stored_portfolio.strategy_id
            and strategy_param_sets.param_set_id = stored_portfolio.param_set_id

),

portfolio_scope as (

    select
        min(stored_through) as stored_through,
        max(case when stored_through is null then 1 else 0 end) as from_first_day
    from portfolio_groups

),

universe_days as (

    select
        prices.trade_date,
        avg(prices.close / prices.previous_close - 1.0) as benchmark_return
    from prices
    cross join portfolio_scope
    where portfolio_scope.from_first_day = 1 or prices.trade_date > portfolio_scope.stored_through
    group by 1

),

-- the universe benchmark compounds per portfolio here: a window over 2.5k days per parameter set
portfolio_days as (

    select
        portfolio_groups.group_number,
        universe_days.trade_date,
        portfolio_groups.stored_through,
        0 as is_held,
        coalesce(portfolio_active.positions, 0) as positions,
        coalesce(portfolio_active.gross_return, 0.0) as gross_return,
        coalesce(portfolio_active.net_return, 0.0) as net_return,
        coalesce(portfolio_active.exposure, 0) as exposure,
        coalesce(portfolio_active.turnover, 0.0) as turnover,
        coalesce(universe_days.benchmark_return, 0.0) as benchmark_return,
        sum(
            case
                when portfolio_groups.stored_through is null or universe_days.trade_date > portfolio_groups.stored_through
                    then ln(1.0 + coalesce(universe_days.benchmark_return, 0.0))
                else 0.0
            end
        ) over (
            partition by portfolio_groups.group_number order by universe_days.trade_date
            rows between unbounded preceding and current row
        ) as benchmark_log_growth
    from portfolio_groups
    inner join universe_days
        on portfolio_groups.stored_through is null or portfolio_groups.stored_through < universe_days.trade_date
    left join portfolio_active
        on
            portfolio_groups.set_number = portfolio_active.set_number
            and universe_days.trade_date = portfolio_active.trade_date

),

-- the text keys and stored equities of every group, joined back after the window pass
all_groups as (

    select
        group_number,
        strategy_id,
        param_set_id,
        symbol,
        stored_equity,
        stored_gross_equity,
        stored_benchmark_equity
    from symbol_groups
    union all
    select
        group_number,
        strategy_id,
        param_set_id,
        '__PORTFOLIO__' as symbol,
        stored_equity,
        stored_gross_equity,
        stored_benchmark_equity
    from portfolio_groups

),

all_days as (

    {%- for day_rows in ['symbol_days', 'held_days', 'portfolio_days'] %}
        {%- if not loop.first %}
            union all
        {%- endif %}
        select
            group_number,
            trade_date,
            stored_through,
            is_held,
            positions,
            gross_return,
            net_return,
            exposure,
            turnover,
            benchmark_return,
            benchmark_log_growth
        from {{ day_rows }}
    {%- endfor %}

),

-- The log growth of each group since stored_through (from its first day when NULL), in one sort by
-- group and day with a held day's row right after the same day's symbol_days row: that row gives
-- the held row its benchmark (lag) and is dropped (lead). The pass carries only integer keys and
-- numbers: its sort is the model's largest cost. The benchmark's log growth comes compounded
-- already (symbol_benchmarks, portfolio_days).
compounded as (

    select
        group_number,
        trade_date,
        stored_through,
        is_held,
        positions,
        cast(exposure as {{ dbt.type_float() }}) as exposure,
        turnover,
        gross_return,
        net_return,
        sum(
            case when stored_through is null or trade_date > stored_through then ln(1.0 + net_return) else 0.0 end
        ) over (
            partition by group_number order by trade_date, is_held
            rows between unbounded preceding and current row
        ) as log_growth,
        sum(
            case when stored_through is null or trade_date > stored_through then ln(1.0 + gross_return) else 0.0 end
        ) over (
            partition by group_number order by trade_date, is_held
            rows between unbounded preceding and current row
        ) as gross_log_growth,
        case
            when is_held = 1 then lag(benchmark_return) over (partition by group_number order by trade_date, is_held)
            else benchmark_return
        end as benchmark_return,
        case
            when is_held = 1 then lag(benchmark_log_growth) over (partition by group_number order by trade_date, is_held)
            else benchmark_log_growth
        end as benchmark_log_growth,
        coalesce(lead(is_held) over (partition by group_number order by trade_date, is_held), 0) as next_is_held
    from all_days

),

-- Equities compound the days after stored_through onto the stored equities of that day (1 for a
-- group computed from its first day).
final as (

    select
        all_groups.strategy_id,
        all_groups.param_set_id,
        all_groups.symbol,
        compounded.trade_date,
        compounded.positions,
        compounded.exposure,
        compounded.turnover,
        compounded.gross_return,
        compounded.net_return,
        coalesce(all_groups.stored_equity, 1.0) * exp(compounded.log_growth) as equity,
        coalesce(all_groups.stored_gross_equity, 1.0) * exp(compounded.gross_log_growth) as gross_equity,
        compounded.benchmark_return,
        coalesce(all_groups.stored_benchmark_equity, 1.0) * exp(compounded.benchmark_log_growth) as benchmark_equity,
        {{ run_stamp() }} as computed_at
    from compounded
    inner join all_groups
        on compounded.group_number = all_groups.group_number
    where
        (compounded.stored_through is null or compounded.trade_date > compounded.stored_through)
        and (compounded.is_held = 1 or compounded.next_is_held = 0)

)

select * from final
