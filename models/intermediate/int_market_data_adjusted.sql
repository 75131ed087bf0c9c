-- noqa: disable=LT02,ST03
-- (sqlfluff cannot follow the indentation of CTEs inside Jinja conditionals, nor see that the
-- incremental-only CTE is used.)
-- Accepted rows (stg_market_data), one per (symbol, trade_date), with prices adjusted for splits
-- and bonus issues. adjustment_factor is the product of the price_factor of every action whose
-- ex_date is after the row's date, so adjusted prices are comparable with today's; raw prices are
-- kept. Every model that reads prices reads them from here.
--
-- Incremental. A first run (or --full-refresh) adjusts every accepted row. A daily run first
-- deletes every adjusted row of the symbols whose accepted history changed, then adjusts the new
-- day plus those symbols' whole history, so the adjustment equals a full refresh:
--   * delete_replayed_groups on base_market_data_checked: a row of the symbol was checked again
--     after the symbol was adjusted (corrected, re-loaded, vanished or newly rejected input), or
--     its last adjusted day is not checked any more; compared by run stamps (computed_at), so a
--     daily run reads the rows written since, not the whole history. It reads the checked rows,
--     not stg_market_data: a row newly rejected leaves stg_market_data, and only its newer
--     stamp in base_market_data_checked says that its symbol's history changed;
--   * delete_readjusted_symbols: a corporate action arrived, changed or went away.
-- An adjusted symbol then gets the accepted rows checked after its newest adjusted row (every row
-- is checked before it is adjusted, so those are exactly its new keys); a symbol with no adjusted
-- row (new, or just deleted) gets all its accepted rows.
{{ config(materialized='incremental', incremental_strategy=append_only_strategy(), on_schema_change='append_new_columns') }}
{{ config(pre_hook=[
    "{{ delete_replayed_groups(ref('base_market_data_checked'), ['symbol'], ['symbol']) }}",
    "{{ delete_readjusted_symbols(ref('stg_corporate_actions')) }}",
]) }}

with

accepted as (

    select * from {{ ref('stg_market_data') }}

),

{% if is_incremental() -%}
-- each adjusted symbol's newest run stamp, after the pre_hooks deleted the symbols to readjust
adjusted_symbols as (

    select
        symbol,
        max(computed_at) as adjusted_through
    from {{ this }}
    group by symbol

),

-- accepted symbols without an adjusted row: new ones, and those the pre_hooks deleted
unadjusted_symbols as (

    select accepted_symbols.symbol
    from (select distinct accepted.symbol from accepted) as accepted_symbols
    left join adjusted_symbols on accepted_symbols.symbol = adjusted_symbols.symbol
    where adjusted_symbols.symbol is null

),

-- the rows checked after their symbol was last adjusted: the new days (the bound on the oldest
-- stamp lets the scan skip row groups checked before it)
new_rows as (

    select accepted.*
    from accepted
    inner join adjusted_symbols on accepted.symbol = adjusted_symbols.symbol
    where
        accepted.computed_at > adjusted_symbols.adjusted_through
        and accepted.computed_at > (select min(oldest.adjusted_through) from adjusted_symbols as oldest)

),

readjusted_rows as (

    select accepted.*
    from accepted
    inner join unadjusted_symbols on accepted.symbol = unadjusted_symbols.symbol

),

checked as (

    select * from new_rows
    union all
    select * from readjusted_rows

),

{% else -%}
checked as (

    select * from accepted

),

{% endif -%}
corporate_actions as (

    select * from {{ ref('stg_corporate_actions') }}

),

factors as (

    select
        checked.symbol,
        checked.trade_date,
        exp(sum(ln(corporate_actions.price_factor))) as adjustment_factor,
        max(corporate_actions.loaded_at) as actions_loaded_at
    from checked
    inner join corporate_actions
        on
            checked.symbol = corporate_actions.symbol
            and checked.trade_date < corporate_actions.ex_date
    group by checked.symbol, checked.trade_date

),

final as (

    select
        checked.symbol,
        checked.trade_date,
        checked.open * coalesce(factors.adjustment_factor, 1.0) as open,
        checked.high * coalesce(factors.adjustment_factor, 1.0) as high,
        checked.low * coalesce(factors.adjustment_factor, 1.0) as low,
        checked.close * coalesce(factors.adjustment_factor, 1.0) as close,
        checked.volume / coalesce(factors.adjustment_factor, 1.0) as volume,
        checked.open as raw_open,
        checked.high as raw_high,
        checked.low as raw_low,
        checked.close as raw_close,
        checked.volume as raw_volume,
        coalesce(factors.adjustment_factor, 1.0) as adjustment_factor,
        checked.traded_value,
        checked.trades,
        checked.series,
        checked.exchange,
        checked.source_file,
        checked.loaded_at,
        {{ run_stamp() }} as computed_at
    from checked
    left join factors
        on
            checked.symbol = factors.symbol
            and checked.trade_date = factors.trade_date

)

select * from final
