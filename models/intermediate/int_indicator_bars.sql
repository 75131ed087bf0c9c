-- Adjusted daily bars with a dense per-symbol row index and the one-row differences every
-- indicator needs (macros/indicators/indicator_bars.sql), computed once per full build so the
-- indicators mart reuses them (one sort per symbol). Incremental runs of the mart apply the same
-- macro to a bounded slice of history instead.
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
    from {{ ref('int_market_data_adjusted') }}

),

final as (

    {{ indicator_bars('market_data') }}

)

select * from final
