-- Input rows that break an invariant, with the reason. Nothing is dropped silently: together with
-- stg_market_data these are exactly the rows of trading_data.market_data.
{{ config(materialized='table', **daily_table_config()) }}

with

checked as (

    select * from {{ ref('base_market_data_checked') }}
    where reject_reason is not null

),

final as (

    select
        symbol,
        trade_date,
        reject_reason,
        open,
        high,
        low,
        close,
        volume,
        copies,
        source_file,
        loaded_at
    from checked

)

select * from final
