-- The var cost_model must name exactly one row of the seed cost_schedule.
with

selected as (

    select count(*) as selected_rows from {{ ref('int_backtest_cost_rates') }}

)

select * from selected
where selected_rows <> 1
