-- Every input row, typed, with the first invariant it breaks (null when it breaks none).
-- stg_market_data keeps the rows without a reason, market_data_rejected the others, so the two
-- always add up to the input.
with

source as (

    select * from {{ source('trading_data', 'market_data') }}

),

typed as (

    select
        upper(trim(cast(symbol as {{ dbt.type_string() }}))) as symbol,
        cast(trade_date as date) as trade_date,
        cast(open as {{ strategy_float_type() }}) as open,
        cast(high as {{ strategy_float_type() }}) as high,
        cast(low as {{ strategy_float_type() }}) as low,
        cast(close as {{ strategy_float_type() }}) as close,
        cast(volume as {{ dbt.type_bigint() }}) as volume,
        cast(value as {{ strategy_float_type() }}) as traded_value,
        cast(trades as {{ dbt.type_bigint() }}) as trades,
        cast(series as {{ dbt.type_string() }}) as series,
        cast(exchange as {{ dbt.type_string() }}) as exchange,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source

),

keyed as (

    select
        *,
        row_number() over (
            partition by symbol, trade_date
            order by loaded_at desc, source_file
        ) as copy_number,
        count(*) over (partition by symbol, trade_date) as copies,
        -- copies of one key that disagree on any value are a conflict nobody can resolve here
        coalesce(
            min(open) over (partition by symbol, trade_date) != max(open) over (partition by symbol, trade_date)
            or min(high) over (partition by symbol, trade_date) != max(high) over (partition by symbol, trade_date)
            or min(low) over (partition by symbol, trade_date) != max(low) over (partition by symbol, trade_date)
            or min(close) over (partition by symbol, trade_date) != max(close) over (partition by symbol, trade_date)
            or min(volume) over (partition by symbol, trade_date) != max(volume) over (partition by symbol, trade_date),
            false
        ) as has_conflicting_copies
    from typed

),

final as (

    select
        *,
        case
            when symbol is null or symbol = '' then 'missing_symbol'
            when trade_date is null then 'missing_trade_date'
            when open is null or high is null or low is null or close is null then 'missing_price'
            when open <= 0 or high <= 0 or low <= 0 or close <= 0 then 'non_positive_price'
            when high < open or high < close then 'high_below_open_or_close'
            when low > open or low > close then 'low_above_open_or_close'
            when volume < 0 then 'negative_volume'
            when trade_date > current_date then 'future_date'
            when has_conflicting_copies then 'duplicate_key_conflicting_values'
            when copy_number > 1 then 'duplicate_row'
        end as reject_reason
    from keyed

)

select * from final
