-- The features of the ML signal (issue 17), one row per (symbol, trade_date): the symbol's returns
-- and normalised indicators, and the market-wide features of the day (ml_market_features). Every
-- value on day D reads prices up to the close of D only; nothing reads ml_labels. Formulas:
-- docs/ML.md and ml_features.yml.
--
-- Incremental. A first run (or --full-refresh) computes every row. A daily run first deletes the
-- symbols whose adjusted history was restaged or went away (pre_hook delete_replayed_groups), then
-- recomputes every symbol's rows from first_changed_date on (ml_first_changed_date(): the new day,
-- or a restaged symbol's first day, after which the market features change for every symbol),
-- reading per symbol only its rows from 20 rows before its first recomputed row (the 20-session
-- return). delete+insert (DuckDB) / merge (BigQuery) on (symbol, trade_date).
{{ config(materialized='incremental', **daily_table_config(unique_key=['symbol', 'trade_date'])) }}
{{ config(pre_hook="{{ delete_replayed_groups(ref('int_market_data_adjusted'), ['symbol'], ['symbol']) }}") }}
{%- set longest_return = 20 %}

with

indicators as (

    select * from {{ ref('indicators') }}

),

market_features as (

    select * from {{ ref('ml_market_features') }}

),

recompute as (

    {{ ml_first_changed_date() }}

),

-- each symbol's first recomputed row (bar_index counts the symbol's rows)
symbol_starts as (

    select
        indicators.symbol,
        min(indicators.bar_index) as first_bar_index
    from indicators
    cross join recompute
    where indicators.trade_date >= recompute.first_changed_date
    group by indicators.symbol

),

-- those rows plus the 20 rows before each symbol's first (the longest return's lookback)
scoped_rows as (

    select
        indicators.*,
        symbol_starts.first_bar_index
    from indicators
    inner join symbol_starts on indicators.symbol = symbol_starts.symbol
    where indicators.bar_index >= symbol_starts.first_bar_index - {{ longest_return }}

),

symbol_features as (

    select
        symbol,
        trade_date,
        bar_index,
        first_bar_index,
        {{ simple_return('close', 1) }} as return_1d,
        {{ simple_return('close', 5) }} as return_5d,
        {{ simple_return('close', longest_return) }} as return_20d,
        rsi_14,
        macd_hist / nullif(close, 0) as macd_hist_to_close,
        (close - bb_lower) / nullif(bb_upper - bb_lower, 0) as bollinger_percent_b,
        atr_14 / nullif(close, 0) as atr_to_close,
        close / nullif(sma_50, 0) - 1.0 as close_to_sma_50,
        close / nullif(sma_200, 0) - 1.0 as close_to_sma_200,
        roc_10,
        adx_14,
        volatility_20
    from scoped_rows

),

final as (

    select
        symbol_features.symbol,
        symbol_features.trade_date,
        market_features.session_index,
        symbol_features.return_1d,
        symbol_features.return_5d,
        symbol_features.return_20d,
        symbol_features.rsi_14,
        symbol_features.macd_hist_to_close,
        symbol_features.bollinger_percent_b,
        symbol_features.atr_to_close,
        symbol_features.close_to_sma_50,
        symbol_features.close_to_sma_200,
        symbol_features.roc_10,
        symbol_features.adx_14,
        symbol_features.volatility_20,
        market_features.universe_return_1d,
        market_features.breadth_sma_50,
        market_features.return_dispersion_1d,
        market_features.universe_volatility_20,
        {{ run_stamp() }} as computed_at
    from symbol_features
    inner join market_features on symbol_features.trade_date = market_features.trade_date
    where symbol_features.bar_index >= symbol_features.first_bar_index

)

select * from final
