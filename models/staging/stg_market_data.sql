-- noqa: disable=LT02,ST03
-- (sqlfluff cannot follow the indentation of CTEs inside Jinja conditionals, nor see that the
-- incremental-only CTE is used.)
-- Accepted rows, one per (symbol, trade_date), with prices adjusted for splits and bonus issues.
-- adjustment_factor is the product of the price_factor of every action whose ex_date is after
-- the row's date, so adjusted prices are comparable with today's; raw prices are kept.
--
-- Incremental. A first run (or --full-refresh) stages every accepted row. A daily run first
-- deletes every staged row of the symbols whose staged history changed, then stages the new day
-- plus those symbols' whole history, so the adjustment equals a full refresh:
--   * delete_replayed_groups on base_market_data_checked: a row of the symbol was checked again
--     after the symbol was staged (corrected, re-loaded, vanished or newly rejected input), or
--     its last staged day is not checked any more; compared by run stamps (computed_at), so a
--     daily run reads the rows written since, not the whole history;
--   * delete_readjusted_symbols: a corporate action arrived, changed or went away.
-- A staged symbol then gets the accepted rows checked after its newest staged row (every row is
-- checked before it is staged, so those are exactly its unstaged keys); a symbol with no staged
-- row (new, or just deleted) gets all its accepted rows.
{{ config(materialized='incremental', incremental_strategy=append_only_strategy(), on_schema_change='append_new_columns') }}
{{ config(pre_hook=[
    "{{ delete_replayed_groups(ref('base_market_data_checked'), ['symbol'], ['symbol']) }}",
    "{{ delete_readjusted_symbols(ref('stg_corporate_actions')) }}",
]) }}

with

accepted as (

    select * from {{ ref('base_market_data_checked') }}
    where reject_reason is null

),

{% if is_incremental() -%}
-- each staged symbol's newest run stamp, after the pre_hooks deleted the symbols to restage
staged_symbols as (

    select
        symbol,
        max(computed_at) as staged_through
    from {{ this }}
    group by symbol

),

-- accepted symbols without a staged row: new ones, and those the pre_hooks deleted
unstaged_symbols as (

    select accepted_symbols.symbol
    from (select distinct accepted.symbol from accepted) as accepted_symbols
    left join staged_symbols on accepted_symbols.symbol = staged_symbols.symbol
    where staged_symbols.symbol is null

),

-- the rows checked after their symbol was last staged: the new days (the bound on the oldest
-- stamp lets the scan skip row groups checked before it)
new_rows as (

    select accepted.*
    from accepted
    inner join staged_symbols on accepted.symbol = staged_symbols.symbol
    where
        accepted.computed_at > staged_symbols.staged_through
        and accepted.computed_at > (select min(oldest.staged_through) from staged_symbols as oldest)

),

restaged_rows as (

    select accepted.*
    from accepted
    inner join unstaged_symbols on accepted.symbol = unstaged_symbols.symbol

),

checked as (

    select * from new_rows
    union all
    select * from restaged_rows

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
