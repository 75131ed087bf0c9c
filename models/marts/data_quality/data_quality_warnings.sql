-- Every data-quality finding on staged data, one row each. Warnings, never build failures:
-- legitimate data (a crash, a special session, a symbol outside the universe) shows up here too.
{{ config(materialized='table', **daily_table_config()) }}

with

large_moves as (

    select * from {{ ref('int_dq_large_moves') }}

),

calendar_findings as (

    select * from {{ ref('int_dq_calendar_findings') }}

),

unknown_symbols as (

    select * from {{ ref('int_dq_unknown_symbols') }}

),

large_move_warnings as (

    select
        'large_move' as warning_type,
        symbol,
        trade_date,
        'adjusted close moved ' || cast(round(close_return * 100, 1) as {{ dbt.type_string() }})
        || '% since ' || cast(previous_trade_date as {{ dbt.type_string() }})
        || ' with no corporate action explaining it' as detail
    from large_moves

),

unknown_symbol_warnings as (

    select
        'symbol_not_in_universe' as warning_type,
        symbol,
        cast(null as date) as trade_date,
        cast(row_count as {{ dbt.type_string() }}) || ' row(s) from '
        || cast(first_date as {{ dbt.type_string() }}) || ' to ' || cast(last_date as {{ dbt.type_string() }})
        || '; processed with sector unknown' as detail
    from unknown_symbols

),

final as (

    select * from large_move_warnings
    union all
    select * from calendar_findings
    union all
    select * from unknown_symbol_warnings

)

select * from final
