-- One row per signal event: the entries taken while flat and the exits taken while in a position
-- (model `positions`), with the indicator values of that day and the strength of the candidate.
-- Forced exits (max_holding_days, trailing_stop) carry strength 1: they are rules, not opinions.
-- Incremental (docs/SIGNALS.md): generated_at is the computed_at of the positions row (the run that
-- decided it). The pre_hook deletes the signals of groups whose positions were rewritten on or
-- before their last stored signal (replayed); the select then reads only positions rows newer
-- than the newest stored generated_at, i.e. the new days and the replayed histories.
{{
    config(
        materialized='incremental',
        pre_hook="{{ delete_replayed_groups(ref('positions'), ['strategy_id', 'param_set_id', 'symbol'], ['strategy_id', 'param_set_id', 'symbol'], date_column='signal_date', watermark_column='generated_at') }}",
        **daily_table_config(
            date_column='signal_date',
            cluster_by=['strategy_id', 'symbol'],
            unique_key=['strategy_id', 'param_set_id', 'symbol', 'signal_date']
        )
    )
}}

with

-- The newest positions computed_at already turned into signals (NULL on a first build).
stored_watermark as (

    {%- if is_incremental() %}
        select max(generated_at) as generated_at from {{ this }}
    {%- else %}
        select cast(null as {{ dbt.type_timestamp() }}) as generated_at
    {%- endif %}

),

positions as (

    select positions.*
    from {{ ref('positions') }} as positions
    cross join stored_watermark
    where
        positions.signal_type is not null
        and (stored_watermark.generated_at is null or positions.computed_at > stored_watermark.generated_at)

),

candidates as (

    select * from {{ ref('strategy_candidates') }}
    -- Only the days of the positions read above (every day on a first build).
    where trade_date >= (select min(trade_date) from positions)

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
        positions.days_since_entry_signal,
        positions.entry_signal_date,
        positions.computed_at as generated_at
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
        days_since_entry_signal,
        entry_signal_date,
        generated_at
    from joined

)

select * from final
