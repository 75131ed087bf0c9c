-- Metrics per (strategy, param set, symbol or '__PORTFOLIO__', window) from equity_curve, following
-- empyrical: 252 periods a year, sample standard deviation, Sortino downside deviation, drawdown
-- from the running peak of an equity that starts at 1 in each window.
{% set periods = 252 %}
{% set daily_risk_free = '(' ~ var('risk_free_rate', 0.0) ~ ' / ' ~ periods ~ ')' %}
with

equity_curve as (

    select * from {{ ref('equity_curve') }}
    where {{ every_partition('trade_date') }}

),

trades as (

    select * from {{ ref('trades') }}

),

calendar as (

    select distinct trade_date from equity_curve

),

calendar_bounds as (

    select max(trade_date) as last_date from calendar

),

windows as (

    select
        calendar.trade_date,
        'full' as window_name
    from calendar
    union all
    select
        calendar.trade_date,
        'last_1y' as window_name
    from calendar
    cross join calendar_bounds
    where calendar.trade_date > {{ dbt.dateadd('year', -1, 'calendar_bounds.last_date') }}
    union all
    select
        calendar.trade_date,
        'ytd' as window_name
    from calendar
    cross join calendar_bounds
    where extract(year from calendar.trade_date) = extract(year from calendar_bounds.last_date)
    union all
    select
        trade_date,
        cast(extract(year from trade_date) as {{ dbt.type_string() }}) as window_name
    from calendar

),

window_days as (

    select
        equity_curve.strategy_id,
        equity_curve.param_set_id,
        equity_curve.symbol,
        windows.window_name,
        equity_curve.trade_date,
        equity_curve.net_return,
        equity_curve.net_return - {{ daily_risk_free }} as excess_return,
        equity_curve.benchmark_return,
        equity_curve.exposure,
        equity_curve.turnover,
        exp(sum(ln(1.0 + equity_curve.net_return)) over (
            partition by equity_curve.strategy_id, equity_curve.param_set_id, equity_curve.symbol, windows.window_name
            order by equity_curve.trade_date
            rows between unbounded preceding and current row
        )) as window_equity
    from equity_curve
    inner join windows
        on equity_curve.trade_date = windows.trade_date

),

drawdowns as (

    select
        *,
        window_equity / (case when running_peak > 1.0 then running_peak else 1.0 end) - 1.0 as drawdown
    from (
        select
            *,
            max(window_equity) over (
                partition by strategy_id, param_set_id, symbol, window_name
                order by trade_date
                rows between unbounded preceding and current row
            ) as running_peak
        from window_days
    ) as peaks

),

-- underwater spells: each day at a peak starts a new spell
underwater_spells as (

    select
        *,
        sum(case when drawdown < 0 then 0 else 1 end) over (
            partition by strategy_id, param_set_id, symbol, window_name
            order by trade_date
            rows between unbounded preceding and current row
        ) as spell_id
    from drawdowns

),

drawdown_durations as (

    select
        strategy_id,
        param_set_id,
        symbol,
        window_name,
        max(underwater_days) as max_drawdown_duration_days
    from (
        select
            strategy_id,
            param_set_id,
            symbol,
            window_name,
            spell_id,
            sum(case when drawdown < 0 then 1 else 0 end) as underwater_days
        from underwater_spells
        group by 1, 2, 3, 4, 5
    ) as spells
    group by 1, 2, 3, 4

),

moments_base as (

    select
        strategy_id,
        param_set_id,
        symbol,
        window_name,
        min(trade_date) as start_date,
        max(trade_date) as end_date,
        count(*) as trading_days,
        exp(sum(ln(1.0 + net_return))) - 1.0 as total_return,
        exp(sum(ln(1.0 + benchmark_return))) - 1.0 as benchmark_total_return,
        avg(net_return) as mean_return,
        stddev_samp(net_return) as stddev_return,
        avg(excess_return) as mean_excess_return,
        stddev_samp(excess_return) as stddev_excess_return,
        sqrt(avg(case when excess_return < 0 then excess_return * excess_return else 0.0 end)) as downside_deviation,
        avg(benchmark_return) as mean_benchmark_return,
        avg(exposure) as exposure,
        sum(turnover) as turnover_sum,
        min(drawdown) as max_drawdown
    from drawdowns
    group by 1, 2, 3, 4

),

central_moments as (

    select
        window_days.strategy_id,
        window_days.param_set_id,
        window_days.symbol,
        window_days.window_name,
        avg(power(window_days.net_return - moments_base.mean_return, 2)) as m2,
        avg(power(window_days.net_return - moments_base.mean_return, 3)) as m3,
        avg(power(window_days.net_return - moments_base.mean_return, 4)) as m4,
        avg(
            (window_days.benchmark_return - moments_base.mean_benchmark_return) * window_days.net_return
        ) as benchmark_covariance,
        avg(power(window_days.benchmark_return - moments_base.mean_benchmark_return, 2)) as benchmark_variance
    from window_days
    inner join moments_base
        on
            window_days.strategy_id = moments_base.strategy_id
            and window_days.param_set_id = moments_base.param_set_id
            and window_days.symbol = moments_base.symbol
            and window_days.window_name = moments_base.window_name
    group by 1, 2, 3, 4

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

-- trades entered in the window; a portfolio counts the trades of all its symbols
window_trades as (

    select
        trade_scopes.strategy_id,
        trade_scopes.param_set_id,
        trade_scopes.scope_symbol as symbol,
        windows.window_name,
        count(*) as num_trades,
        sum(case when not trade_scopes.is_open then 1 else 0 end) as num_closed_trades,
        sum(case when not trade_scopes.is_open and trade_scopes.net_return > 0 then 1 else 0 end) as num_winning_trades,
        sum(
            case when not trade_scopes.is_open and trade_scopes.net_return > 0 then trade_scopes.net_return else 0.0 end
        ) as gross_profit,
        sum(
            case when not trade_scopes.is_open and trade_scopes.net_return < 0 then -trade_scopes.net_return else 0.0 end
        ) as gross_loss,
        avg(case when not trade_scopes.is_open then trade_scopes.net_return end) as avg_trade_return,
        avg(case when not trade_scopes.is_open then trade_scopes.holding_days end) as avg_holding_days
    from trade_scopes
    inner join windows
        on trade_scopes.entry_date = windows.trade_date
    group by 1, 2, 3, 4

),

ratios as (

    select
        moments_base.*,
        central_moments.m2,
        central_moments.m3,
        central_moments.m4,
        case when central_moments.m2 > 0 then central_moments.m3 / power(central_moments.m2, 1.5) end as skewness,
        case when central_moments.m2 > 0 then central_moments.m4 / power(central_moments.m2, 2) - 3.0 end as excess_kurtosis,
        case
            when central_moments.benchmark_variance > 0
                then central_moments.benchmark_covariance / central_moments.benchmark_variance
        end as beta,
        power(1.0 + moments_base.total_return, {{ periods }}.0 / moments_base.trading_days) - 1.0 as cagr,
        moments_base.stddev_return * sqrt({{ periods }}) as annual_volatility,
        case
            when moments_base.stddev_excess_return > 0
                then moments_base.mean_excess_return / moments_base.stddev_excess_return
        end as daily_sharpe_ratio,
        case
            when moments_base.downside_deviation > 0
                then moments_base.mean_excess_return * {{ periods }} / (moments_base.downside_deviation * sqrt({{ periods }}))
        end as sortino_ratio
    from moments_base
    inner join central_moments
        on
            moments_base.strategy_id = central_moments.strategy_id
            and moments_base.param_set_id = central_moments.param_set_id
            and moments_base.symbol = central_moments.symbol
            and moments_base.window_name = central_moments.window_name

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

final as (

    select
        z_scores.strategy_id,
        z_scores.param_set_id,
        z_scores.symbol,
        z_scores.window_name as {{ adapter.quote('window') }},
        z_scores.start_date,
        z_scores.end_date,
        z_scores.trading_days,
        z_scores.total_return,
        z_scores.cagr,
        z_scores.annual_volatility,
        z_scores.sharpe_ratio,
        z_scores.sortino_ratio,
        z_scores.max_drawdown,
        coalesce(drawdown_durations.max_drawdown_duration_days, 0) as max_drawdown_duration_days,
        z_scores.calmar_ratio,
        coalesce(window_trades.num_trades, 0) as num_trades,
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
        z_scores.alpha,
        z_scores.beta,
        z_scores.skewness,
        z_scores.excess_kurtosis,
        z_scores.daily_sharpe_ratio,
        {{ normal_cdf('z_scores.psr_z') }} as probabilistic_sharpe_ratio,
        z_scores.num_trials,
        z_scores.expected_max_daily_sharpe,
        {{ normal_cdf('z_scores.dsr_z') }} as deflated_sharpe_ratio
    from z_scores
    left join drawdown_durations
        on
            z_scores.strategy_id = drawdown_durations.strategy_id
            and z_scores.param_set_id = drawdown_durations.param_set_id
            and z_scores.symbol = drawdown_durations.symbol
            and z_scores.window_name = drawdown_durations.window_name
    left join window_trades
        on
            z_scores.strategy_id = window_trades.strategy_id
            and z_scores.param_set_id = window_trades.param_set_id
            and z_scores.symbol = window_trades.symbol
            and z_scores.window_name = window_trades.window_name

)

select * from final
