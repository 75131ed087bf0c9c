-- Entries and exits strictly alternate per (strategy, param set, symbol): the first signal is an
-- entry, no two consecutive signals share a type, and every exit is preceded by an entry.
-- Returns the offending signals.
with

signals as (

    select * from {{ ref('signals') }}

),

ordered as (

    select
        strategy_id,
        param_set_id,
        symbol,
        signal_date,
        signal_type,
        lag(signal_type) over (
            partition by strategy_id, param_set_id, symbol order by signal_date
        ) as previous_signal_type
    from signals

),

final as (

    select *
    from ordered
    where
        (previous_signal_type is null and signal_type != 'ENTRY_LONG')
        or previous_signal_type = signal_type

)

select * from final
