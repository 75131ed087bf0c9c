-- The label of the ML signal (issue 17), one row per (symbol, trade_date) of the adjusted prices:
-- the forward return over N sessions (var ml_label_horizon, default 10), close of session D + N
-- over close of D minus 1, its sign, and known_from_date, the date of session D + N: the first
-- day the label is known. Sessions are the trade dates of ml_market_features (session_index).
-- Rows whose session D + N is not in the data yet are kept with NULL label and NULL
-- known_from_date; a symbol without a row on session D + N (suspended) has a NULL label and that
-- session's known_from_date. Only models that train or evaluate read labels; ml_features never does.
--
-- Incremental. A daily run first deletes the symbols whose adjusted history was restaged or went
-- away (pre_hook delete_replayed_groups), then recomputes the rows from N sessions before
-- first_changed_date (ml_first_changed_date(): the new day, or a restaged symbol's first day) on:
-- the new day completes the labels of the rows N sessions before it.
-- delete+insert (DuckDB) / merge (BigQuery) on (symbol, trade_date).
{{ config(materialized='incremental', **daily_table_config(unique_key=['symbol', 'trade_date'])) }}
{{ config(pre_hook="{{ delete_replayed_groups(ref('int_market_data_adjusted'), ['symbol'], ['symbol']) }}") }}
{%- set horizon = ml_label_horizon() %}

with

sessions as (

    select
        trade_date,
        session_index
    from {{ ref('ml_market_features') }}

),

recompute as (

    {{ ml_first_changed_date() }}

),

-- the first session whose label may change: N sessions before the first changed day
first_session as (

    select min(sessions.session_index) - {{ horizon }} as first_session_index
    from sessions
    cross join recompute
    where sessions.trade_date >= recompute.first_changed_date

),

scoped_sessions as (

    select sessions.*
    from sessions
    cross join first_session
    where sessions.session_index >= first_session.first_session_index

),

-- adjusted closes from the first recomputed session on (the bound on trade_date lets the scan
-- skip older rows)
closes as (

    select
        prices.symbol,
        prices.trade_date,
        prices.close,
        scoped_sessions.session_index
    from {{ ref('int_market_data_adjusted') }} as prices
    inner join scoped_sessions on prices.trade_date = scoped_sessions.trade_date
    where prices.trade_date >= (select min(first_days.trade_date) from scoped_sessions as first_days)

),

final as (

    select
        closes.symbol,
        closes.trade_date,
        cast({{ horizon }} as {{ dbt.type_bigint() }}) as label_horizon_sessions,
        label_session.trade_date as known_from_date,
        later.close / nullif(closes.close, 0) - 1.0 as forward_return,
        cast(case
            when later.close / nullif(closes.close, 0) - 1.0 > 0 then 1
            when later.close / nullif(closes.close, 0) - 1.0 <= 0 then 0
        end as {{ dbt.type_bigint() }}) as label_up,
        {{ run_stamp() }} as computed_at
    from closes
    left join scoped_sessions as label_session
        on closes.session_index + {{ horizon }} = label_session.session_index
    left join closes as later
        on
            closes.symbol = later.symbol
            and closes.session_index + {{ horizon }} = later.session_index

)

select * from final
