-- noqa: disable=LT02,ST03
-- (sqlfluff cannot follow the indentation of CTEs inside Jinja conditionals, nor see that the
-- incremental-only CTE is used.)
-- Accepted rows, one per (symbol, trade_date), with prices adjusted for splits and bonus issues.
-- adjustment_factor is the product of the price_factor of every action whose ex_date is after
-- the row's date, so adjusted prices are comparable with today's; raw prices are kept.
--
-- Incremental. A first run (or --full-refresh) stages every accepted row. A daily run first
-- deletes every staged row of the symbols whose staged history changed (pre_hook
-- delete_restaged_symbols: a corrected, re-loaded, vanished or newly rejected row, or a corporate
-- action that arrived, changed or went away), then stages the accepted rows whose key is not
-- stored: the new day plus those symbols' whole history, so the adjustment equals a full refresh.
{{ config(materialized='incremental', incremental_strategy=append_only_strategy()) }}
{{ config(pre_hook="{{ delete_restaged_symbols(ref('base_market_data_checked'), ref('stg_corporate_actions')) }}") }}

with

accepted as (

    select * from {{ ref('base_market_data_checked') }}
    where reject_reason is null

),

{% if is_incremental() -%}
stored_keys as (

    select
        symbol,
        trade_date
    from {{ this }}

),

{% endif -%}
checked as (

    select accepted.*
    from accepted
    {%- if is_incremental() %}
        left join stored_keys
            on
                accepted.symbol = stored_keys.symbol
                and accepted.trade_date = stored_keys.trade_date
    where stored_keys.symbol is null
    {%- endif %}

),

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
        checked.loaded_at
    from checked
    left join factors
        on
            checked.symbol = factors.symbol
            and checked.trade_date = factors.trade_date

)

select * from final
