{{ config(materialized='view') }}
-- The signals of the latest trading day in the warehouse, grouped by strategy and parameter set:
-- what the runner sends out each evening. Empty when that day produced no signal (never stale).
with

signals as (

    select * from {{ ref('signals') }}

),

latest_day as (

    select max(trade_date) as digest_date
    from {{ ref('positions') }}

),

todays_signals as (

    select signals.*
    from signals
    inner join latest_day
        on signals.signal_date = latest_day.digest_date

),

final as (

    select
        signal_date as digest_date,
        strategy_id,
        param_set_id,
        strategy_type,
        signal_type,
        count(*) as signal_count,
        {{ dbt.listagg('symbol', "', '", 'order by symbol') }} as symbols,
        avg(strength) as average_strength,
        max(strength) as max_strength
    from todays_signals
    group by signal_date, strategy_id, param_set_id, strategy_type, signal_type

)

select * from final
