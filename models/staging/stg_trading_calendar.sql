-- Exchange sessions, typed, from the seed: regular sessions (generated with exchange-calendars) and
-- the one-off special sessions with their reason.
with

calendar as (

    select * from {{ ref('trading_calendar') }}

),

final as (

    select
        cast(trade_date as date) as trade_date,
        cast(exchange_calendar as {{ dbt.type_string() }}) as exchange_calendar,
        cast(nullif(special_session, '') as {{ dbt.type_string() }}) as special_session
    from calendar

)

select * from final
