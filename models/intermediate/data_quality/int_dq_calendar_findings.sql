-- Data checked against the exchange calendar (regular and special sessions), for rows of
-- var('calendar_exchanges') and only within the range of its regular sessions (it cannot judge
-- days it does not cover; a special session outside it does not widen it):
--   rows_on_non_calendar_day   a date with rows that is not a session
--   calendar_day_without_rows  a session inside the data's range with no row at all
--   symbol_missing_on_session  a session other symbols traded on, inside the symbol's own first..last
--                              dates, without a row for the symbol
with

calendar as (

    select
        trade_date,
        special_session
    from {{ ref('stg_trading_calendar') }}

),

calendar_range as (

    select
        min(trade_date) as first_session,
        max(trade_date) as last_session
    from calendar
    where special_session is null

),

checked_rows as (

    select
        market.symbol,
        market.trade_date
    from {{ ref('int_market_data_adjusted') }} as market
    cross join calendar_range
    where
        upper(market.exchange) in (
            {%- for exchange in var('calendar_exchanges') %}
                '{{ exchange | upper }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )
        and market.trade_date between calendar_range.first_session and calendar_range.last_session

),

dates_with_rows as (

    select
        trade_date,
        count(*) as row_count
    from checked_rows
    group by trade_date

),

data_range as (

    select
        min(trade_date) as first_date,
        max(trade_date) as last_date
    from dates_with_rows

),

symbol_ranges as (

    select
        symbol,
        min(trade_date) as first_date,
        max(trade_date) as last_date
    from checked_rows
    group by symbol

),

non_calendar_days as (

    select
        'rows_on_non_calendar_day' as warning_type,
        cast(null as {{ dbt.type_string() }}) as symbol,
        dates_with_rows.trade_date,
        cast(dates_with_rows.row_count as {{ dbt.type_string() }})
        || ' row(s) on a day that is not a session of the exchange calendar (kept)' as detail
    from dates_with_rows
    left join calendar on dates_with_rows.trade_date = calendar.trade_date
    where calendar.trade_date is null

),

empty_sessions as (

    select
        'calendar_day_without_rows' as warning_type,
        cast(null as {{ dbt.type_string() }}) as symbol,
        calendar.trade_date,
        'session of the exchange calendar with no rows at all' as detail
    from calendar
    cross join data_range
    left join dates_with_rows on calendar.trade_date = dates_with_rows.trade_date
    where
        calendar.trade_date between data_range.first_date and data_range.last_date
        and dates_with_rows.trade_date is null

),

missing_symbol_days as (

    select
        'symbol_missing_on_session' as warning_type,
        symbol_ranges.symbol,
        dates_with_rows.trade_date,
        'no row for the symbol on a session other symbols traded' as detail
    from symbol_ranges
    inner join dates_with_rows
        on dates_with_rows.trade_date between symbol_ranges.first_date and symbol_ranges.last_date
    inner join calendar on dates_with_rows.trade_date = calendar.trade_date
    left join checked_rows
        on
            symbol_ranges.symbol = checked_rows.symbol
            and dates_with_rows.trade_date = checked_rows.trade_date
    where checked_rows.symbol is null

),

final as (

    select * from non_calendar_days
    union all
    select * from empty_sessions
    union all
    select * from missing_symbol_days

)

select * from final
