-- Per (strategy, param set, symbol or '__PORTFOLIO__', calendar year): the power sums of the year's
-- daily returns and the drawdown path of two windows, the calendar year and the full history, in one
-- pass over equity_curve. performance combines these rows into its yearly, ytd and full windows and
-- walk_forward into its in-sample years, so neither cross-joins windows with days: the moments
-- follow from the sums (central moments from power sums), the full window's drawdown and longest
-- underwater spell from the minimum and maximum over its years.
{% set daily_risk_free = '(' ~ var('risk_free_rate', 0.0) ~ ' / 252)' %}
with

equity_curve as (

    select * from {{ ref('equity_curve') }}
    where {{ every_partition('trade_date') }}

),

daily_returns as (

    select
        strategy_id,
        param_set_id,
        symbol,
        trade_date,
        extract(year from trade_date) as calendar_year,
        net_return,
        net_return - {{ daily_risk_free }} as excess_return,
        benchmark_return,
        exposure,
        turnover,
        ln(1.0 + net_return) as log_growth
    from equity_curve

),

-- equity starts at 1 at the start of each window: the full history and each calendar year
window_equity as (

    select
        *,
        exp(sum(log_growth) over (
            partition by strategy_id, param_set_id, symbol
            order by trade_date
            rows between unbounded preceding and current row
        )) as full_equity,
        row_number() over (
            partition by strategy_id, param_set_id, symbol
            order by trade_date
        ) as full_day_number,
        exp(sum(log_growth) over (
            partition by strategy_id, param_set_id, symbol, calendar_year
            order by trade_date
            rows between unbounded preceding and current row
        )) as year_equity,
        row_number() over (
            partition by strategy_id, param_set_id, symbol, calendar_year
            order by trade_date
        ) as year_day_number
    from daily_returns

),

running_peaks as (

    select
        *,
        max(full_equity) over (
            partition by strategy_id, param_set_id, symbol
            order by trade_date
            rows between unbounded preceding and current row
        ) as full_running_peak,
        max(year_equity) over (
            partition by strategy_id, param_set_id, symbol, calendar_year
            order by trade_date
            rows between unbounded preceding and current row
        ) as year_running_peak
    from window_equity

),

-- the peak counts from 1: an equity that never rises above its start is under water from day one
drawdowns as (

    select
        *,
        full_equity / (case when full_running_peak > 1.0 then full_running_peak else 1.0 end) - 1.0 as full_drawdown,
        year_equity / (case when year_running_peak > 1.0 then year_running_peak else 1.0 end) - 1.0 as year_drawdown
    from running_peaks

),

-- the days under water so far: day number minus that of the last day at the peak (0 when none
-- yet); is_under_water ignores the rounding of a flat equity
underwater_days as (

    select
        *,
        full_day_number - max(case when {{ is_under_water('full_drawdown') }} then 0 else full_day_number end) over (
            partition by strategy_id, param_set_id, symbol
            order by trade_date
            rows between unbounded preceding and current row
        ) as full_underwater_days,
        year_day_number - max(case when {{ is_under_water('year_drawdown') }} then 0 else year_day_number end) over (
            partition by strategy_id, param_set_id, symbol, calendar_year
            order by trade_date
            rows between unbounded preceding and current row
        ) as year_underwater_days
    from drawdowns

),

final as (

    select
        strategy_id,
        param_set_id,
        symbol,
        calendar_year,
        min(trade_date) as start_date,
        max(trade_date) as end_date,
        count(*) as trading_days,
        sum(net_return) as sum_return,
        sum(net_return * net_return) as sum_return_squared,
        sum(net_return * net_return * net_return) as sum_return_cubed,
        sum(net_return * net_return * net_return * net_return) as sum_return_fourth,
        sum(case when excess_return < 0 then excess_return * excess_return else 0.0 end) as sum_downside_squared,
        sum(benchmark_return) as sum_benchmark_return,
        sum(benchmark_return * benchmark_return) as sum_benchmark_squared,
        sum(benchmark_return * net_return) as sum_benchmark_cross_return,
        sum(log_growth) as sum_log_growth,
        sum(ln(1.0 + benchmark_return)) as sum_benchmark_log_growth,
        sum(exposure) as sum_exposure,
        sum(turnover) as sum_turnover,
        min(year_drawdown) as year_max_drawdown,
        max(year_underwater_days) as year_max_underwater_days,
        min(full_drawdown) as full_max_drawdown,
        max(full_underwater_days) as full_max_underwater_days
    from underwater_days
    group by 1, 2, 3, 4

)

select * from final
