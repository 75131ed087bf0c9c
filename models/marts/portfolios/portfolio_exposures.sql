-- Exposure of every portfolio per (trade_date, sector): the sum of its target weights in the sector,
-- plus one row per day with sector '__GROSS__', the sum over all sectors (the invested fraction of
-- capital; 1 - it is cash). Sectors from the symbol_universe seed, as in portfolio_weights.
{{ config(materialized='table', **daily_table_config(cluster_by=['portfolio_id', 'sector'])) }}

with

portfolio_weights as (

    select * from {{ ref('portfolio_weights') }}

),

sectors as (

    select
        portfolio_id,
        trade_date,
        sector,
        sum(target_weight) as weight,
        sum(raw_weight) as raw_weight,
        sum(case when target_weight > 0 then 1 else 0 end) as held_symbols
    from portfolio_weights
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
        cast(held_symbols as {{ dbt.type_bigint() }}) as held_symbols
    from sectors
    union all
    select
        portfolio_id,
        trade_date,
        sector,
        weight,
        raw_weight,
        cast(held_symbols as {{ dbt.type_bigint() }}) as held_symbols
    from gross

)

select * from final
