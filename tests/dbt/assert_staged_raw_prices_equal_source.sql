-- Staging and adjustment must not lose precision: every raw price kept beside the adjusted ones
-- equals the loaded one exactly (a 32-bit float cast would round 1085.10 to 1085.0999755859375
-- and fail here). Checks the rows this run adjusted (all of them on a build from empty): an
-- adjusted row is never rewritten in place, and a changed input row readjusts its symbol with a new stamp.
with

source_rows as (
    select * from {{ source('trading_data', 'market_data') }}
),

staged as (
    select * from {{ ref('int_market_data_adjusted') }}
    where computed_at >= {{ run_stamp() }}
),

final as (
    select
        staged.symbol,
        staged.trade_date,
        staged.raw_close,
        source_rows.close as source_close
    from staged
    inner join source_rows
        on
            staged.symbol = upper(trim(source_rows.symbol))
            and staged.trade_date = source_rows.trade_date
    where
        staged.raw_open != source_rows.open
        or staged.raw_high != source_rows.high
        or staged.raw_low != source_rows.low
        or staged.raw_close != source_rows.close
)

select * from final
