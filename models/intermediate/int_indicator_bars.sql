-- Adjusted daily bars with a dense per-symbol row index and the one-row differences every
-- indicator needs, computed once here so the indicators mart reuses them (one sort per symbol).
with

market_data as (

    select
        symbol,
        trade_date,
        open,
        high,
        low,
        close,
        volume
    from {{ ref('stg_market_data') }}

),

final as (

    select
        symbol,
        trade_date,
        open,
        high,
        low,
        close,
        volume,
        row_number() over (partition by symbol order by trade_date) - 1 as bar_index,
        close - lag(close) over (partition by symbol order by trade_date) as close_change,
        {{ true_range('high', 'low', 'close') }} as true_range,
        {{ plus_dm('high', 'low') }} as plus_dm,
        {{ minus_dm('high', 'low') }} as minus_dm,
        {{ typical_price('high', 'low', 'close') }} as typical_price,
        {{ typical_price('high', 'low', 'close') }}
        - lag({{ typical_price('high', 'low', 'close') }}) over (partition by symbol order by trade_date) as typical_price_change,
        {{ log_return('close') }} as log_return,
        {{ obv_step('close', 'volume') }} as obv_step
    from market_data

)

select * from final
