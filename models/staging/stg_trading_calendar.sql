-- Regular exchange sessions, typed, from the seed generated with exchange-calendars.
with

calendar as (

    select * from {{ ref('trading_calendar') }}

),

final as (

    select
        cast(trade_date as date) as trade_date,
        cast(exchange_calendar as {{ dbt.type_string() }}) as exchange_calendar
    from calendar

)

select * from final
