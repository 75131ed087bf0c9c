-- Metrics per (strategy, param set, symbol or '__PORTFOLIO__', window) following empyrical: 252
-- periods a year, sample standard deviation, Sortino downside deviation, drawdown from the running
-- peak of an equity that starts at 1 in each window. The yearly, ytd and full windows combine the
-- per-year power sums and drawdown paths of performance_years; last_1y reads only the days of
-- its year from equity_curve. Central moments from power sums S_k = sum(r^k) over n days, m = S1/n:
-- m2 = S2/n - m^2, m3 = S3/n - 3 m S2/n + 2 m^3, m4 = S4/n - 4 m S3/n + 6 m^2 S2/n - 3 m^4.
{% set periods = 252 %}
{% set daily_risk_free = '(' ~ var('risk_free_rate', 0.0) ~ ' / ' ~ periods ~ ')' %}
with

performance_years as (

    select * from {{ ref('performance_years') }}

),

equity_curve as (

    select * from {{ ref('equity_curve') }}
    where {{ every_partition('trade_date') }}

),

trades as (

    select * from {{ ref('trades') }}

),

calendar_bounds as (

    select
        max(end_date) as last_date,
        extract(year from max(end_date)) as last_year
    from performance_years

),

-- last_1y is a rolling window: the days after the same date a year before the last date
last_year_days as (

    select
        equity_curve.strategy_id,
        equity_curve.param_set_id,
        equity_curve.symbol,
        equity_curve.trade_date,
        equity_curve.net_return,
        equity_curve.net_return - {{ daily_risk_free }} as excess_return,
        equity_curve.benchmark_return,
        equity_curve.exposure,
        equity_curve.turnover,
        ln(1.0 + equity_curve.net_return) as log_growth
    from equity_curve
    cross join calendar_bounds
    where equity_curve.trade_date > {{ dbt.dateadd('year', -1, 'calendar_bounds.last_date') }}

),

-- integer stand-ins for the text keys of the groups: the three day-level windows below partition
-- by them (far cheaper than three strings)
last_year_groups as (

    select
        strategy_id,
        param_set_id,
        symbol,
        row_number() over (order by symbol, strategy_id, param_set_id) as group_number
    from (
        select distinct
            strategy_id,
            param_set_id,
            symbol
        from last_year_days
    ) as distinct_groups

),

-- the drawdown path of each group's window: only the integer group number, the date and the
-- log growth go through the day-level windows (every column a window carries is sorted with it)
last_year_paths as (

    select
        last_year_groups.group_number,
        last_year_days.trade_date,
        last_year_days.log_growth
    from last_year_days
    inner join last_year_groups
        on
            last_year_days.strategy_id = last_year_groups.strategy_id
            and last_year_days.param_set_id = last_year_groups.param_set_id
            and last_year_days.symbol = last_year_groups.symbol

),

last_year_equity as (

    select
        *,
        exp(sum(log_growth) over (
            partition by group_number
            order by trade_date
            rows between unbounded preceding and current row
        )) as window_equity,
        row_number() over (
            partition by group_number
            order by trade_date
        ) as day_number
    from last_year_paths

),

last_year_peaks as (

    select
        *,
        max(window_equity) over (
            partition by group_number
            order by trade_date
            rows between unbounded preceding and current row
        ) as running_peak
    from last_year_equity

),

last_year_drawdowns as (

    select
        *,
        window_equity / (case when running_peak > 1.0 then running_peak else 1.0 end) - 1.0 as drawdown
    from last_year_peaks

),

-- the days under water so far: day number minus that of the last day at the peak (0 when none
-- yet); is_under_water ignores the rounding of a flat equity
last_year_underwater as (

    select
        *,
        day_number - max(case when {{ is_under_water('drawdown') }} then 0 else day_number end) over (
            partition by group_number
            order by trade_date
            rows between unbounded preceding and current row
        ) as underwater_days
    from last_year_drawdowns

),

last_year_drawdown_sums as (

    select
        group_number,
        min(drawdown) as max_drawdown,
        max(underwater_days) as max_drawdown_duration_days
    from last_year_underwater
    group by 1

),

-- the power sums need no order: straight from the days
last_year_return_sums as (

    select
        strategy_id,
        param_set_id,
        symbol,
        min(trade_date) as start_date,
        max(trade_date) as end_date,
        {{ return_power_sums() }}
    from last_year_days
    group by 1, 2, 3

),

last_year_sums as (

    select
        last_year_return_sums.strategy_id,
        last_year_return_sums.param_set_id,
        last_year_return_sums.symbol,
        'last_1y' as window_name,
        last_year_return_sums.start_date,
        last_year_return_sums.end_date,
        {%- for column in return_power_sum_columns() %}
            last_year_return_sums.{{ column }},
        {%- endfor %}
        last_year_drawdown_sums.max_drawdown,
        last_year_drawdown_sums.max_drawdown_duration_days
    from last_year_return_sums
    inner join last_year_groups
        on
            last_year_return_sums.strategy_id = last_year_groups.strategy_id
            and last_year_return_sums.param_set_id = last_year_groups.param_set_id
            and last_year_return_sums.symbol = last_year_groups.symbol
    inner join last_year_drawdown_sums on last_year_groups.group_number = last_year_drawdown_sums.group_number

),

year_sums as (

    select
        performance_years.strategy_id,
        performance_years.param_set_id,
        performance_years.symbol,
        cast(performance_years.calendar_year as {{ dbt.type_string() }}) as window_name,
        performance_years.start_date,
        performance_years.end_date,
        performance_years.trading_days,
        performance_years.sum_return,
        performance_years.sum_return_squared,
        performance_years.sum_return_cubed,
        performance_years.sum_return_fourth,
        performance_years.sum_downside_squared,
        performance_years.sum_benchmark_return,
        performance_years.sum_benchmark_squared,
        performance_years.sum_benchmark_cross_return,
        performance_years.sum_log_growth,
        performance_years.sum_benchmark_log_growth,
        performance_years.sum_exposure,
        performance_years.sum_turnover,
        performance_years.year_max_drawdown as max_drawdown,
        performance_years.year_max_underwater_days as max_drawdown_duration_days
    from performance_years

),

-- ytd is the calendar year of the last date
ytd_sums as (

    select
        performance_years.strategy_id,
        performance_years.param_set_id,
        performance_years.symbol,
        'ytd' as window_name,
        performance_years.start_date,
        performance_years.end_date,
        performance_years.trading_days,
        performance_years.sum_return,
        performance_years.sum_return_squared,
        performance_years.sum_return_cubed,
        performance_years.sum_return_fourth,
        performance_years.sum_downside_squared,
        performance_years.sum_benchmark_return,
        performance_years.sum_benchmark_squared,
        performance_years.sum_benchmark_cross_return,
        performance_years.sum_log_growth,
        performance_years.sum_benchmark_log_growth,
        performance_years.sum_exposure,
        performance_years.sum_turnover,
        performance_years.year_max_drawdown as max_drawdown,
        performance_years.year_max_underwater_days as max_drawdown_duration_days
    from performance_years
    inner join calendar_bounds on performance_years.calendar_year = calendar_bounds.last_year

),

-- the full window's drawdown is the deepest of its years' full-history drawdowns, its longest
-- underwater spell the longest run counted along the full history
full_sums as (

    select
        strategy_id,
        param_set_id,
        symbol,
        'full' as window_name,
        min(start_date) as start_date,
        max(end_date) as end_date,
        sum(trading_days) as trading_days,
        sum(sum_return) as sum_return,
        sum(sum_return_squared) as sum_return_squared,
        sum(sum_return_cubed) as sum_return_cubed,
        sum(sum_return_fourth) as sum_return_fourth,
        sum(sum_downside_squared) as sum_downside_squared,
        sum(sum_benchmark_return) as sum_benchmark_return,
        sum(sum_benchmark_squared) as sum_benchmark_squared,
        sum(sum_benchmark_cross_return) as sum_benchmark_cross_return,
        sum(sum_log_growth) as sum_log_growth,
        sum(sum_benchmark_log_growth) as sum_benchmark_log_growth,
        sum(sum_exposure) as sum_exposure,
        sum(sum_turnover) as sum_turnover,
        min(full_max_drawdown) as max_drawdown,
        max(full_max_underwater_days) as max_drawdown_duration_days
    from performance_years
    group by 1, 2, 3

),

window_sums as (

    select * from full_sums
    union all
    select * from year_sums
    union all
    select * from ytd_sums
    union all
    select * from last_year_sums

),

moments_base as (

    select
        strategy_id,
        param_set_id,
        symbol,
        window_name,
        start_date,
        end_date,
        trading_days,
        max_drawdown,
        max_drawdown_duration_days,
        exp(sum_log_growth) - 1.0 as total_return,
        exp(sum_benchmark_log_growth) - 1.0 as benchmark_total_return,
        sum_return / trading_days as mean_return,
        sum_return_squared / trading_days as mean_return_squared,
        sum_return_cubed / trading_days as mean_return_cubed,
        sum_return_fourth / trading_days as mean_return_fourth,
        sqrt(sum_downside_squared / trading_days) as downside_deviation,
        sum_benchmark_return / trading_days as mean_benchmark_return,
        sum_benchmark_squared / trading_days as mean_benchmark_squared,
        sum_benchmark_cross_return / trading_days as mean_benchmark_cross_return,
        sum_exposure / trading_days as exposure,
        sum_turnover as turnover_sum
    from window_sums

),

central_moments as (

    select
        *,
        mean_return_squared - mean_return * mean_return as m2,
        mean_return_cubed - 3.0 * mean_return * mean_return_squared + 2.0 * power(mean_return, 3) as m3,
        mean_return_fourth - 4.0 * mean_return * mean_return_cubed
        + 6.0 * mean_return * mean_return * mean_return_squared - 3.0 * power(mean_return, 4) as m4,
        mean_benchmark_cross_return - mean_benchmark_return * mean_return as benchmark_covariance,
        mean_benchmark_squared - mean_benchmark_return * mean_benchmark_return as benchmark_variance,
        mean_return - {{ daily_risk_free }} as mean_excess_return
    from moments_base

),

-- the excess return differs from the return by a constant: the same standard deviation
deviations as (

    select
        *,
        case
            when trading_days > 1 and m2 > 0 then sqrt(m2 * trading_days / (trading_days - 1.0))
            when trading_days > 1 then 0.0
        end as stddev_return,
        case
            when trading_days > 1 and benchmark_variance > 0
                then sqrt(benchmark_variance * trading_days / (trading_days - 1.0))
            when trading_days > 1 then 0.0
        end as stddev_benchmark_return
    from central_moments

),

ratios as (

    select
        *,
        case when m2 > 0 then m3 / power(m2, 1.5) end as skewness,
        case when m2 > 0 then m4 / power(m2, 2) - 3.0 end as excess_kurtosis,
        case when benchmark_variance > 0 then benchmark_covariance / benchmark_variance end as beta,
        power(1.0 + total_return, {{ periods }}.0 / trading_days) - 1.0 as cagr,
        stddev_return * sqrt({{ periods }}) as annual_volatility,
        case when stddev_return > 0 then mean_excess_return / stddev_return end as daily_sharpe_ratio,
        power(1.0 + benchmark_total_return, {{ periods }}.0 / trading_days) - 1.0 as benchmark_cagr,
        stddev_benchmark_return * sqrt({{ periods }}) as benchmark_annual_volatility,
        case
            when stddev_benchmark_return > 0
                then (mean_benchmark_return - {{ daily_risk_free }}) / stddev_benchmark_return * sqrt({{ periods }})
        end as benchmark_sharpe_ratio,
        case
            when downside_deviation > 0
                then mean_excess_return * {{ periods }} / (downside_deviation * sqrt({{ periods }}))
        end as sortino_ratio
    from deviations

),

trade_scopes as (

    select
        strategy_id,
        param_set_id,
        symbol as scope_symbol,
        entry_date,
        is_open,
        net_return,
        holding_days
    from trades
    union all
    select
        strategy_id,
        param_set_id,
        '__PORTFOLIO__' as scope_symbol,
        entry_date,
        is_open,
        net_return,
        holding_days
    from trades

),

-- the trades entered in each calendar year, and in the last_1y window
trade_windows as (

    select
        trade_scopes.*,
        cast(extract(year from trade_scopes.entry_date) as {{ dbt.type_string() }}) as year_window_name,
        extract(year from trade_scopes.entry_date) = calendar_bounds.last_year as is_ytd,
        trade_scopes.entry_date > {{ dbt.dateadd('year', -1, 'calendar_bounds.last_date') }} as is_last_1y
    from trade_scopes
    cross join calendar_bounds

),

trade_sums_by_year as (

    select
        strategy_id,
        param_set_id,
        scope_symbol as symbol,
        year_window_name,
        is_ytd,
        count(*) as num_trades,
        sum(case when not is_open then 1 else 0 end) as num_closed_trades,
        sum(case when not is_open and net_return > 0 then 1 else 0 end) as num_winning_trades,
        sum(case when not is_open and net_return > 0 then net_return else 0.0 end) as gross_profit,
        sum(case when not is_open and net_return < 0 then -net_return else 0.0 end) as gross_loss,
        sum(case when not is_open then net_return end) as sum_trade_return,
        sum(case when not is_open then holding_days end) as sum_holding_days
    from trade_windows
    group by 1, 2, 3, 4, 5

),

trade_sums_last_year as (

    select
        strategy_id,
        param_set_id,
        scope_symbol as symbol,
        'last_1y' as window_name,
        count(*) as num_trades,
        sum(case when not is_open then 1 else 0 end) as num_closed_trades,
        sum(case when not is_open and net_return > 0 then 1 else 0 end) as num_winning_trades,
        sum(case when not is_open and net_return > 0 then net_return else 0.0 end) as gross_profit,
        sum(case when not is_open and net_return < 0 then -net_return else 0.0 end) as gross_loss,
        sum(case when not is_open then net_return end) as sum_trade_return,
        sum(case when not is_open then holding_days end) as sum_holding_days
    from trade_windows
    where is_last_1y
    group by 1, 2, 3

),

trade_sums as (

    select
        strategy_id,
        param_set_id,
        symbol,
        'full' as window_name,
        sum(num_trades) as num_trades,
        sum(num_closed_trades) as num_closed_trades,
        sum(num_winning_trades) as num_winning_trades,
        sum(gross_profit) as gross_profit,
        sum(gross_loss) as gross_loss,
        sum(sum_trade_return) as sum_trade_return,
        sum(sum_holding_days) as sum_holding_days
    from trade_sums_by_year
    group by 1, 2, 3
    union all
    select
        strategy_id,
        param_set_id,
        symbol,
        year_window_name as window_name,
        num_trades,
        num_closed_trades,
        num_winning_trades,
        gross_profit,
        gross_loss,
        sum_trade_return,
        sum_holding_days
    from trade_sums_by_year
    union all
    select
        strategy_id,
        param_set_id,
        symbol,
        'ytd' as window_name,
        num_trades,
        num_closed_trades,
        num_winning_trades,
        gross_profit,
        gross_loss,
        sum_trade_return,
        sum_holding_days
    from trade_sums_by_year
    where is_ytd
    union all
    select * from trade_sums_last_year

),

window_trades as (

    select
        strategy_id,
        param_set_id,
        symbol,
        window_name,
        num_trades,
        num_closed_trades,
        num_winning_trades,
        gross_profit,
        gross_loss,
        case when num_closed_trades > 0 then sum_trade_return / num_closed_trades end as avg_trade_return,
        case
            when num_closed_trades > 0 then sum_holding_days / num_closed_trades
        end as avg_holding_days
    from trade_sums

),

with_alpha as (

    select
        ratios.*,
        ratios.daily_sharpe_ratio * sqrt({{ periods }}) as sharpe_ratio,
        case when ratios.max_drawdown < 0 then ratios.cagr / abs(ratios.max_drawdown) end as calmar_ratio,
        power(
            1.0 + ratios.mean_excess_return - ratios.beta * (ratios.mean_benchmark_return - {{ daily_risk_free }}),
            {{ periods }}
        ) - 1.0 as alpha,
        -- denominator of the Sharpe ratio's standard error (Mertens), kurtosis non-excess
        sqrt(
            1.0 - ratios.skewness * ratios.daily_sharpe_ratio
            + (ratios.excess_kurtosis + 2.0) / 4.0 * ratios.daily_sharpe_ratio * ratios.daily_sharpe_ratio
        ) as sharpe_standard_error_factor
    from ratios

),

-- deflated Sharpe: the expected maximum of N trials' Sharpe ratios (Bailey and Lopez de Prado 2014)
trials as (

    select
        strategy_id,
        symbol,
        window_name,
        count(*) as num_trials,
        var_samp(daily_sharpe_ratio) as sharpe_variance
    from with_alpha
    group by 1, 2, 3

),

trial_quantiles as (

    select
        strategy_id,
        symbol,
        window_name,
        num_trials,
        sharpe_variance,
        1.0 - 1.0 / num_trials as p_max,
        1.0 - 1.0 / (num_trials * exp(1.0)) as p_max_e
    from trials
    where num_trials > 1

),

expected_max_sharpe as (

    select
        strategy_id,
        symbol,
        window_name,
        num_trials,
        sqrt(sharpe_variance) * (
            (1.0 - 0.5772156649015329) * {{ normal_ppf('p_max') }}
            + 0.5772156649015329 * {{ normal_ppf('p_max_e') }}
        ) as expected_max_daily_sharpe
    from trial_quantiles

),

z_scores as (

    select
        with_alpha.*,
        coalesce(expected_max_sharpe.num_trials, 1) as num_trials,
        expected_max_sharpe.expected_max_daily_sharpe,
        with_alpha.daily_sharpe_ratio * sqrt(with_alpha.trading_days - 1.0)
        / with_alpha.sharpe_standard_error_factor as psr_z,
        (with_alpha.daily_sharpe_ratio - expected_max_sharpe.expected_max_daily_sharpe)
        * sqrt(with_alpha.trading_days - 1.0) / with_alpha.sharpe_standard_error_factor as dsr_z
    from with_alpha
    left join expected_max_sharpe
        on
            with_alpha.strategy_id = expected_max_sharpe.strategy_id
            and with_alpha.symbol = expected_max_sharpe.symbol
            and with_alpha.window_name = expected_max_sharpe.window_name

),

-- Ratios and annualised figures are NULL where a degenerate window (a few days, a flat benchmark)
-- takes them out of the doubles (macros/warehouse/finite_or_null.sql).
final as (

    select
        z_scores.strategy_id,
        z_scores.param_set_id,
        z_scores.symbol,
        z_scores.window_name as {{ adapter.quote('window') }},
        z_scores.start_date,
        z_scores.end_date,
        cast(z_scores.trading_days as {{ dbt.type_bigint() }}) as trading_days,
        z_scores.total_return,
        {{ finite_or_null('z_scores.cagr') }} as cagr,
        z_scores.annual_volatility,
        {{ finite_or_null('z_scores.sharpe_ratio') }} as sharpe_ratio,
        {{ finite_or_null('z_scores.sortino_ratio') }} as sortino_ratio,
        z_scores.max_drawdown,
        cast(coalesce(z_scores.max_drawdown_duration_days, 0) as {{ dbt.type_bigint() }}) as max_drawdown_duration_days,
        {{ finite_or_null('z_scores.calmar_ratio') }} as calmar_ratio,
        cast(coalesce(window_trades.num_trades, 0) as {{ dbt.type_bigint() }}) as num_trades,
        case
            when window_trades.num_closed_trades > 0
                then cast(window_trades.num_winning_trades as {{ dbt.type_float() }}) / window_trades.num_closed_trades
        end as win_rate,
        case when window_trades.gross_loss > 0 then window_trades.gross_profit / window_trades.gross_loss end as profit_factor,
        window_trades.avg_trade_return,
        window_trades.avg_holding_days,
        z_scores.exposure,
        z_scores.turnover_sum / z_scores.trading_days * {{ periods }} as turnover,
        z_scores.benchmark_total_return,
        {{ finite_or_null('z_scores.benchmark_cagr') }} as benchmark_cagr,
        z_scores.benchmark_annual_volatility,
        {{ finite_or_null('z_scores.benchmark_sharpe_ratio') }} as benchmark_sharpe_ratio,
        {{ finite_or_null('z_scores.alpha') }} as alpha,
        {{ finite_or_null('z_scores.beta') }} as beta,
        {{ finite_or_null('z_scores.skewness') }} as skewness,
        {{ finite_or_null('z_scores.excess_kurtosis') }} as excess_kurtosis,
        {{ finite_or_null('z_scores.daily_sharpe_ratio') }} as daily_sharpe_ratio,
        {{ normal_cdf('z_scores.psr_z') }} as probabilistic_sharpe_ratio,
        z_scores.num_trials,
        {{ finite_or_null('z_scores.expected_max_daily_sharpe') }} as expected_max_daily_sharpe,
        {{ normal_cdf('z_scores.dsr_z') }} as deflated_sharpe_ratio
    from z_scores
    left join window_trades
        on
            z_scores.strategy_id = window_trades.strategy_id
            and z_scores.param_set_id = window_trades.param_set_id
            and z_scores.symbol = window_trades.symbol
            and z_scores.window_name = window_trades.window_name

)

select * from final
