-- Technical indicators on adjusted prices, one row per (symbol, trade_date), equal to TA-Lib
-- with default parameters (NULL where TA-Lib returns NaN during warm-up). Every recursive
-- indicator is a closed-form window sum (macros/indicators/linear_recurrence.sql).
-- BigQuery: monthly partitions on trade_date, clustered by symbol (dbt-duckdb would reject the
-- BigQuery-style partition_by, so it is set for BigQuery only).
{{
    config(
        partition_by=({'field': 'trade_date', 'data_type': 'date', 'granularity': 'month'} if target.type == 'bigquery' else none),
        cluster_by=(['symbol'] if target.type == 'bigquery' else none)
    )
}}

with

bars as (

    select * from {{ ref('int_indicator_bars') }}

),

-- Step 1: every indicator that reads bars directly.
smoothed as (

    select
        symbol,
        trade_date,
        bar_index,
        open,
        high,
        low,
        close,
        volume,
        typical_price,
        {{ sma('close', 20) }} as sma_20,
        {{ sma('close', 50) }} as sma_50,
        {{ sma('close', 200) }} as sma_200,
        {{ ema('close', 12) }} as ema_12,
        {{ ema('close', 26) }} as ema_26,
        {{ ema('close', 50) }} as ema_50,
        {{ ema('close', 200) }} as ema_200,
        {{ macd_fast_ema('close', 12, 26) }} as macd_fast_ema,
        {{ rsi_average_gain('close_change', 14) }} as average_gain_14,
        {{ rsi_average_loss('close_change', 14) }} as average_loss_14,
        {{ bollinger('close', 'upper', 20, 2.0) }} as bb_upper,
        {{ bollinger('close', 'middle', 20, 2.0) }} as bb_middle,
        {{ bollinger('close', 'lower', 20, 2.0) }} as bb_lower,
        {{ atr('true_range', 14) }} as atr_14,
        {{ directional_sum('plus_dm', 14) }} as plus_dm_sum_14,
        {{ directional_sum('minus_dm', 14) }} as minus_dm_sum_14,
        {{ directional_sum('true_range', 14) }} as true_range_sum_14,
        {{ stochastic_fast_k('high', 'low', 'close', 14) }} as fast_k_14,
        {{ willr('high', 'low', 'close', 14) }} as willr_14,
        {{ sma('typical_price', 20) }} as typical_price_sma_20,
        {{ roc('close', 10) }} as roc_10,
        {{ mom('close', 10) }} as mom_10,
        {{ obv('obv_step') }} as obv,
        {{ mfi('typical_price', 'typical_price_change', 'volume', 14) }} as mfi_14,
        {{ donchian('high', 'high', 20) }} as donchian_high_20,
        {{ donchian('low', 'low', 20) }} as donchian_low_20,
        {{ realized_volatility('log_return', 20) }} as volatility_20
    from bars

),

-- Step 2: indicators built on step-1 values.
combined as (

    select
        *,
        {{ rsi('average_gain_14', 'average_loss_14') }} as rsi_14,
        {{ natr('atr_14', 'close') }} as natr_14,
        macd_fast_ema - ema_26 as macd_line,
        {{ directional_index('plus_dm_sum_14', 'true_range_sum_14', 14) }} as plus_di_14,
        {{ directional_index('minus_dm_sum_14', 'true_range_sum_14', 14) }} as minus_di_14,
        {{ cci('typical_price', 'typical_price_sma_20', 20) }} as cci_20,
        {{ sma('fast_k_14', 3, input_start=13) }} as slow_k
    from smoothed

),

-- Step 3: second-order smoothing (MACD signal, ADX, slow %D).
second_order as (

    select
        *,
        {{ macd_signal('macd_line', 26, 9) }} as macd_signal_line,
        {{ adx(dx('plus_di_14', 'minus_di_14'), 14) }} as adx_14,
        {{ sma('slow_k', 3, input_start=15) }} as slow_d
    from combined

),

final as (

    select
        symbol,
        trade_date,
        open,
        high,
        low,
        close,
        volume,
        sma_20,
        sma_50,
        sma_200,
        ema_12,
        ema_26,
        ema_50,
        ema_200,
        rsi_14,
        case when bar_index >= {{ macd_first_row(26, 9) }} then macd_line end as macd,
        case when bar_index >= {{ macd_first_row(26, 9) }} then macd_signal_line end as macd_signal,
        case when bar_index >= {{ macd_first_row(26, 9) }} then macd_line - macd_signal_line end as macd_hist,
        bb_upper,
        bb_middle,
        bb_lower,
        atr_14,
        natr_14,
        adx_14,
        plus_di_14,
        minus_di_14,
        case when bar_index >= {{ stochastic_first_row(14, 3, 3) }} then slow_k end as stoch_k,
        case when bar_index >= {{ stochastic_first_row(14, 3, 3) }} then slow_d end as stoch_d,
        willr_14,
        cci_20,
        roc_10,
        mom_10,
        obv,
        mfi_14,
        donchian_high_20,
        donchian_low_20,
        volatility_20
    from second_order

)

select * from final
