-- Staging must not lose precision: every staged raw price equals the loaded one exactly
-- (a 32-bit float cast would round 1085.10 to 1085.0999755859375 and fail here).
-- Checks the rows this run staged (all of them on a build from empty): a staged row is never
-- rewritten in place, and a changed input row restages its symbol with a new stamp.
with

source_rows as (
    select * from {{ source('trading_data', 'market_data') }}
),

staged as (
    select * from {{ ref('stg_market_data') }}
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
