-- Daily drawdown of every portfolio (symbol '__PORTFOLIO__' of equity_curve) with performance's
-- rule: the running peak of an equity that starts at 1 before the first day, so a loss on the first
-- day is already a drawdown. The report charts this series; its minimum over the full history is
-- performance's full-window max_drawdown (tests/python/test_report_reads_marts.py checks both on
-- the sample). A view: it costs nothing at build time, and it reads only the portfolio rows.
{{ config(materialized='view') }}

with

equity_curve as (

    select * from {{ ref('equity_curve') }}

),

portfolio_equity as (

    select
        strategy_id,
        param_set_id,
        trade_date,
        equity
    from equity_curve
    where symbol = '__PORTFOLIO__'

),

peaks as (

    select
        strategy_id,
        param_set_id,
        trade_date,
        equity,
        greatest(
            1.0,
            max(equity) over (
                partition by strategy_id, param_set_id
                order by trade_date
                rows between unbounded preceding and current row
            )
        ) as peak_equity
    from portfolio_equity

),

final as (

    select
        strategy_id,
        param_set_id,
        trade_date,
        equity,
        peak_equity,
        equity / peak_equity - 1.0 as drawdown
    from peaks

)

select * from final
