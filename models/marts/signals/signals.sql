-- One row per signal event: the entries taken while flat and the exits taken while in a position
-- (model `positions`), with the indicator values of that day and the strength of the candidate.
-- Forced exits (max_holding_days, trailing_stop) carry strength 1: they are rules, not opinions.
with

positions as (

    select * from {{ ref('positions') }}
    where signal_type is not null

),

candidates as (

    select * from {{ ref('int_strategy_candidates') }}

),

joined as (

    select
        positions.strategy_id,
        positions.param_set_id,
        candidates.strategy_type,
        positions.symbol,
        positions.trade_date as signal_date,
        positions.signal_type,
        positions.exit_reason,
        positions.close_price,
        case
            when positions.signal_type = 'ENTRY_LONG' then candidates.entry_strength
            when positions.exit_reason = 'signal' then candidates.exit_strength
            else 1.0
        end as strength,
        candidates.indicator_value,
        candidates.entry_reference_value,
        candidates.exit_reference_value,
        candidates.filter_value,
        candidates.indicator_labels,
        positions.holding_days,
        positions.entry_date
    from positions
    inner join candidates
        on
            positions.strategy_id = candidates.strategy_id
            and positions.param_set_id = candidates.param_set_id
            and positions.symbol = candidates.symbol
            and positions.trade_date = candidates.trade_date

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'strategy_id', "'|'", 'param_set_id', "'|'", 'symbol', "'|'",
            'cast(signal_date as ' ~ dbt.type_string() ~ ')', "'|'", 'signal_type'
        ])) }} as signal_id,
        strategy_id,
        param_set_id,
        strategy_type,
        symbol,
        signal_date,
        signal_type,
        exit_reason,
        close_price,
        strength,
        indicator_value,
        entry_reference_value,
        exit_reference_value,
        filter_value,
        indicator_labels,
        holding_days,
        entry_date,
        {{ dbt.current_timestamp() }} as generated_at
    from joined

)

select * from final
