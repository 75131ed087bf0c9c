-- Exposure of every portfolio per (trade_date, sector): the sum of its target weights in the sector,
-- plus one row per day with sector '__GROSS__', the sum over all sectors (the invested fraction of
-- capital; 1 - it is cash). Sectors from the symbol_universe seed, as in portfolio_weights.
-- Incremental (portfolio_exposures.yml): the pre_hook deletes every portfolio whose weights were
-- rewritten on or before its last stored day, or whose last stored day has no weights any more
-- (rebuilt or removed in portfolio_weights); every portfolio then adds its weights' days after its
-- last stored day (all of them when none is stored). Each day is a sum over that day's rows only.
{{
    config(
        materialized='incremental',
        pre_hook="{{ delete_replayed_groups(ref('portfolio_weights'), ['portfolio_id'], ['portfolio_id']) }}",
        **daily_table_config(
            cluster_by=['portfolio_id', 'sector'],
            unique_key=['portfolio_id', 'trade_date', 'sector']
        )
    )
}}

with

portfolio_weights as (

    select * from {{ ref('portfolio_weights') }}

),

-- Each portfolio's last stored day (after the pre_hook; none on a first build).
stored_ends as (

    {{ portfolio_stored_ends() }}

),

new_weights as (

    select portfolio_weights.*
    from portfolio_weights
    left join stored_ends on portfolio_weights.portfolio_id = stored_ends.portfolio_id
    where stored_ends.stored_through is null or portfolio_weights.trade_date > stored_ends.stored_through

),

sectors as (

    select
        portfolio_id,
        trade_date,
        sector,
        sum(target_weight) as weight,
        sum(raw_weight) as raw_weight,
        sum(case when target_weight > 0 then 1 else 0 end) as held_symbols
    from new_weights
    group by portfolio_id, trade_date, sector

),

gross as (

    select
        portfolio_id,
        trade_date,
        '__GROSS__' as sector,
        sum(weight) as weight,
        sum(raw_weight) as raw_weight,
        sum(held_symbols) as held_symbols
    from sectors
    group by portfolio_id, trade_date

),

final as (

    select
        portfolio_id,
        trade_date,
        sector,
        weight,
        raw_weight,
        cast(held_symbols as {{ dbt.type_bigint() }}) as held_symbols,
        {{ run_stamp() }} as computed_at
    from sectors
    union all
    select
        portfolio_id,
        trade_date,
        sector,
        weight,
        raw_weight,
        cast(held_symbols as {{ dbt.type_bigint() }}) as held_symbols,
        {{ run_stamp() }} as computed_at
    from gross

)

select * from final
