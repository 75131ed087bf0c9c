-- For every strategy and symbol (or portfolio) and each calendar year with enough history: the
-- parameter set with the best Sharpe ratio over the preceding in-sample years, and how it did
-- out of sample in that year (from performance). The in-sample Sharpe combines the per-year sums of
-- performance_years: mean m = S1/n, sample variance (S2 - m S1) / (n - 1).
{% set in_sample_years = var('walk_forward_in_sample_years', 2) %}
with

performance_years as (

    select * from {{ ref('performance_years') }}

),

performance as (

    select * from {{ ref('performance') }}

),

years as (

    select distinct calendar_year
    from performance_years

),

folds as (

    select
        oos.calendar_year as oos_year,
        oos.calendar_year - {{ in_sample_years }} as in_sample_first_year,
        oos.calendar_year - 1 as in_sample_last_year
    from years as oos
    inner join years as first_year
        on first_year.calendar_year = oos.calendar_year - {{ in_sample_years }}

),

in_sample_sums as (

    select
        folds.oos_year,
        performance_years.strategy_id,
        performance_years.param_set_id,
        performance_years.symbol,
        min(performance_years.start_date) as in_sample_start_date,
        max(performance_years.end_date) as in_sample_end_date,
        sum(performance_years.trading_days) as trading_days,
        sum(performance_years.sum_return) as sum_return,
        sum(performance_years.sum_return_squared) as sum_return_squared
    from performance_years
    inner join folds
        on
            performance_years.calendar_year >= folds.in_sample_first_year
            and performance_years.calendar_year <= folds.in_sample_last_year
    group by 1, 2, 3, 4

),

in_sample_moments as (

    select
        *,
        sum_return / trading_days as mean_return,
        case
            when trading_days > 1
                then (sum_return_squared - sum_return * sum_return / trading_days) / (trading_days - 1.0)
        end as variance_return
    from in_sample_sums

),

in_sample as (

    select
        oos_year,
        strategy_id,
        param_set_id,
        symbol,
        in_sample_start_date,
        in_sample_end_date,
        case
            when variance_return > 0 then mean_return / sqrt(variance_return) * sqrt(252)
        end as in_sample_sharpe_ratio
    from in_sample_moments

),

-- Sharpe ratios equal to 10 decimals tie (broken by param_set_id): parameter sets with the same
-- trades have the same returns, and their sums differ only in the last bits with the order in
-- which the warehouse adds them (a full build against an incremental one)
ranked as (

    select
        *,
        count(*) over (partition by oos_year, strategy_id, symbol) as num_param_sets,
        row_number() over (
            partition by oos_year, strategy_id, symbol
            order by round(coalesce(in_sample_sharpe_ratio, -1e9), 10) desc, param_set_id
        ) as in_sample_rank
    from in_sample

),

out_of_sample as (

    select
        strategy_id,
        param_set_id,
        symbol,
        {{ adapter.quote('window') }} as oos_window,
        start_date,
        end_date,
        total_return,
        sharpe_ratio,
        max_drawdown,
        benchmark_total_return,
        row_number() over (
            partition by strategy_id, symbol, {{ adapter.quote('window') }}
            order by round(coalesce(sharpe_ratio, -1e9), 10) desc, param_set_id
        ) as oos_rank
    from performance

),

final as (

    select
        ranked.strategy_id,
        ranked.symbol,
        out_of_sample.oos_window,
        ranked.num_param_sets,
        ranked.param_set_id as selected_param_set_id,
        ranked.in_sample_start_date,
        ranked.in_sample_end_date,
        ranked.in_sample_sharpe_ratio,
        out_of_sample.start_date as oos_start_date,
        out_of_sample.end_date as oos_end_date,
        out_of_sample.total_return as oos_total_return,
        out_of_sample.sharpe_ratio as oos_sharpe_ratio,
        out_of_sample.max_drawdown as oos_max_drawdown,
        out_of_sample.benchmark_total_return as oos_benchmark_total_return,
        out_of_sample.oos_rank as oos_rank_of_selected
    from ranked
    inner join out_of_sample
        on
            ranked.strategy_id = out_of_sample.strategy_id
            and ranked.param_set_id = out_of_sample.param_set_id
            and ranked.symbol = out_of_sample.symbol
            and cast(ranked.oos_year as {{ dbt.type_string() }}) = out_of_sample.oos_window
    where ranked.in_sample_rank = 1

)

select * from final
