-- noqa: disable=LT02,ST03
-- (sqlfluff cannot follow the indentation of CTEs inside Jinja conditionals, nor see that the
-- incremental-only CTE is used.)
-- Every input row, typed, with the first invariant it breaks (null when it breaks none).
-- stg_market_data keeps the rows without a reason, market_data_rejected the others, so the two
-- always add up to the input.
--
-- Incremental. A first run (or --full-refresh) checks every input row. A daily run first deletes
-- the symbols whose stored rows may have changed (pre_hook delete_reloaded_market_data: an input
-- row up to the symbol's last stored day changed, vanished, appeared or has copies, a future_date
-- rejection; and every NULL key), then checks only the input rows whose key is not stored: each
-- stored symbol's rows after its last stored day (the new day), every row of the others. Every check below
-- looks at one (symbol, trade_date) key at a time, so checking whole keys equals a full refresh.
-- computed_at stamps the run that checked the row: int_market_data_adjusted readjusts a symbol when one of
-- its rows was checked again after the symbol was staged, instead of comparing whole tables.
{{ config(materialized='incremental', incremental_strategy=append_only_strategy(), on_schema_change='append_new_columns') }}
{{ config(pre_hook="{{ delete_reloaded_market_data(source('trading_data', 'market_data'), [
    'open', 'high', 'low', 'close', 'volume', 'traded_value', 'trades', 'series', 'exchange',
    'source_file', 'loaded_at',
]) }}") }}

with

loaded as (

    {{ typed_market_data(source('trading_data', 'market_data')) }}

),

{% if is_incremental() -%}
-- Each stored symbol's last day. After the pre_hook a stored symbol's input rows up to that day
-- are exactly its stored rows, so its unstored keys are the ones after it.
stored_symbols as (

    select
        symbol,
        max(trade_date) as last_date
    from {{ this }}
    group by symbol

),

{% endif -%}
typed as (

    select loaded.*
    from loaded
    {%- if is_incremental() %}
        left join stored_symbols on loaded.symbol = stored_symbols.symbol
    where
        stored_symbols.last_date is null
        or loaded.trade_date is null
        or loaded.trade_date > stored_symbols.last_date
    {%- endif %}

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
            when has_non_finite_value then 'non_finite_value'
            when open is null or high is null or low is null or close is null then 'missing_price'
            when open <= 0 or high <= 0 or low <= 0 or close <= 0 then 'non_positive_price'
            when high < open or high < close then 'high_below_open_or_close'
            when low > open or low > close then 'low_above_open_or_close'
            when volume < 0 then 'negative_volume'
            when has_fractional_volume then 'fractional_volume'
            when trade_date > current_date then 'future_date'
            when has_conflicting_copies then 'duplicate_key_conflicting_values'
            when copy_number > 1 then 'duplicate_row'
        end as reject_reason,
        {{ run_stamp() }} as computed_at
    from keyed

)

select * from final
