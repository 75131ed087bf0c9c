-- noqa: disable=LT02,ST03
-- (sqlfluff cannot follow the indentation of CTEs inside Jinja conditionals, nor see that the
-- incremental-only CTE is used.)
-- Market-wide features of each session (one row per trade_date, the dates of `indicators`): the
-- equal-weight universe return, breadth, cross-sectional dispersion and realised volatility. Each
-- value on day D reads prices up to the close of D only (docs/ML.md). ml_features joins them to
-- every symbol's row of the day; ml_labels and ml_folds count sessions by session_index.
--
-- Incremental. A daily run recomputes the days from first_changed_date on (ml_first_changed_date():
-- the new day, or a restaged symbol's first day), reading per symbol only its rows from one row
-- before that day (a one-session return) and, from this table, the 19 stored sessions before it
-- (the realised volatility's window) and the count of stored sessions before it (session_index).
-- delete+insert (DuckDB) / merge (BigQuery) on trade_date writes the rows returned. A symbol
-- removed from the data altogether (not restaged: gone) changes past days' values without a newer
-- stamp; run --full-refresh then.
{{ config(materialized='incremental', **daily_table_config(unique_key=['trade_date'], cluster_by=['trade_date'])) }}
{%- set volatility_sessions = 20 %}

with

indicators as (

    select * from {{ ref('indicators') }}

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

-- those rows plus the row before each symbol's first (its previous close)
scoped_rows as (

    select
        indicators.symbol,
        indicators.trade_date,
        indicators.bar_index,
        indicators.close,
        indicators.sma_50,
        symbol_starts.first_bar_index
    from indicators
    inner join symbol_starts on indicators.symbol = symbol_starts.symbol
    where indicators.bar_index >= symbol_starts.first_bar_index - 1

),

symbol_days as (

    select
        symbol,
        trade_date,
        bar_index,
        first_bar_index,
        {{ simple_return('close', 1) }} as return_1d,
        case when sma_50 is not null then case when close > sma_50 then 1.0 else 0.0 end end as above_sma_50
    from scoped_rows

),

-- the cross-section of each recomputed day (aggregates skip the NULLs: a symbol's first day has no
-- return, its first 49 no SMA 50)
new_days as (

    select
        trade_date,
        avg(return_1d) as universe_return_1d,
        stddev_pop(return_1d) as return_dispersion_1d,
        avg(above_sma_50) as breadth_sma_50,
        count(*) as symbol_count,
        count(return_1d) as return_count,
        count(above_sma_50) as sma_50_count
    from symbol_days
    where bar_index >= first_bar_index
    group by trade_date

),

{% if is_incremental() -%}
-- the stored sessions before the first recomputed day: how many (session_index continues from
-- their count) and the last 19 of them (the volatility window)
stored_before as (

    select stored.*
    from {{ this }} as stored
    cross join recompute
    where stored.trade_date < recompute.first_changed_date

),

stored_session_count as (

    select count(*) as sessions_before from stored_before

),

stored_window as (

    select
        stored_before.trade_date,
        stored_before.universe_return_1d,
        stored_before.session_index,
        false as is_new
    from stored_before
    cross join stored_session_count
    where stored_before.session_index >= stored_session_count.sessions_before - {{ volatility_sessions - 1 }}

),

{% else -%}
stored_session_count as (

    select 0 as sessions_before

),

{% endif -%}
numbered_days as (

    select
        new_days.*,
        stored_session_count.sessions_before
        + row_number() over (order by new_days.trade_date) - 1 as session_index
    from new_days
    cross join stored_session_count

),

volatility_window as (

    select
        trade_date,
        universe_return_1d,
        session_index,
        true as is_new
    from numbered_days
    {%- if is_incremental() %}
    union all
    select * from stored_window
    {%- endif %}

),

-- annualised (x sqrt(252)) population standard deviation of the last 20 sessions' universe
-- returns, NULL until 20 sessions have one (the convention of indicators.volatility_20)
volatility as (

    select
        trade_date,
        is_new,
{%- set trailing_sessions = 'over (order by session_index rows between ' ~ (volatility_sessions - 1) ~ ' preceding and current row)' %}
        case
            when count(universe_return_1d) {{ trailing_sessions }} = {{ volatility_sessions }}
                then sqrt(var_pop(universe_return_1d) {{ trailing_sessions }}) * sqrt(252.0)
        end as universe_volatility_20
    from volatility_window

),

final as (

    select
        numbered_days.trade_date,
        cast(numbered_days.session_index as {{ dbt.type_bigint() }}) as session_index,
        numbered_days.universe_return_1d,
        numbered_days.breadth_sma_50,
        numbered_days.return_dispersion_1d,
        volatility.universe_volatility_20,
        cast(numbered_days.symbol_count as {{ dbt.type_bigint() }}) as symbol_count,
        cast(numbered_days.return_count as {{ dbt.type_bigint() }}) as return_count,
        cast(numbered_days.sma_50_count as {{ dbt.type_bigint() }}) as sma_50_count,
        {{ run_stamp() }} as computed_at
    from numbered_days
    inner join volatility
        on
            numbered_days.trade_date = volatility.trade_date
            and volatility.is_new

)

select * from final
