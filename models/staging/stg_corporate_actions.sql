-- Known actions (seed) and late ones (source table), one row per (symbol, ex_date, action).
with

seeded as (

    select
        upper(trim(symbol)) as symbol,
        cast(ex_date as date) as ex_date,
        lower(action) as action,
        cast(price_factor as {{ strategy_float_type() }}) as price_factor,
        cast(null as {{ dbt.type_timestamp() }}) as loaded_at,
        'seed' as origin
    from {{ ref('corporate_actions') }}

),

loaded as (

    select
        upper(trim(symbol)) as symbol,
        cast(ex_date as date) as ex_date,
        lower(action) as action,
        cast(price_factor as {{ strategy_float_type() }}) as price_factor,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        'source' as origin
    from {{ source('trading_data', 'corporate_actions') }}
    where price_factor > 0

),

unioned as (

    select * from seeded
    union all
    select * from loaded

),

final as (

    -- a late load of an action the seed already knows keeps the later timestamp
    select
        symbol,
        ex_date,
        action,
        max(price_factor) as price_factor,
        max(loaded_at) as loaded_at
    from unioned
    group by symbol, ex_date, action

)

select * from final
