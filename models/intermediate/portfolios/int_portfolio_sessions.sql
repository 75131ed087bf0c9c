-- The portfolios' calendar: every session of int_backtest_prices (any symbol traded), numbered, with
-- whether it is the first session of its week (Monday-based) or of its month. Both are known at the
-- session's close from past sessions only: a session opens a week (month) when the previous session
-- lies in an earlier week (month). The first session of the data opens both.
with

prices as (

    select * from {{ ref('int_backtest_prices') }}

),

calendar as (

    select distinct trade_date
    from prices

),

numbered as (

    select
        trade_date,
        row_number() over (order by trade_date) as session_number,
        lag(trade_date) over (order by trade_date) as previous_session_date
    from calendar

),

-- weeks counted from Monday 1970-01-05, months as year * 12 + month: no dialect's week start
periods as (

    select
        trade_date,
        session_number,
        previous_session_date,
        floor({{ dbt.datediff("cast('1970-01-05' as date)", 'trade_date', 'day') }} / 7) as week_number,
        floor({{ dbt.datediff("cast('1970-01-05' as date)", 'previous_session_date', 'day') }} / 7) as previous_week_number,
        extract(year from trade_date) * 12 + extract(month from trade_date) as month_number,
        extract(year from previous_session_date) * 12 + extract(month from previous_session_date) as previous_month_number
    from numbered

),

final as (

    select
        trade_date,
        cast(session_number as {{ dbt.type_bigint() }}) as session_number,
        previous_session_date,
        coalesce(week_number != previous_week_number, true) as is_first_session_of_week,
        coalesce(month_number != previous_month_number, true) as is_first_session_of_month
    from periods

)

select * from final
