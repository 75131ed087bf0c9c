-- The per-side cost of the selected cost model (var cost_model) as one fraction of notional:
-- buy = brokerage + STT + exchange + SEBI + stamp duty + GST on (brokerage + exchange + SEBI) + slippage;
-- sell is the same without stamp duty and with the sell-side STT.
with

cost_schedule as (

    select * from {{ ref('cost_schedule') }}
    where cost_model = '{{ var("cost_model", "india_delivery") }}'

),

final as (

    select
        cost_model,
        brokerage_rate + stt_buy_rate + exchange_charge_rate + sebi_fee_rate + stamp_duty_buy_rate
        + gst_rate * (brokerage_rate + exchange_charge_rate + sebi_fee_rate)
        + slippage_bps / 10000.0 as buy_cost_rate,
        brokerage_rate + stt_sell_rate + exchange_charge_rate + sebi_fee_rate
        + gst_rate * (brokerage_rate + exchange_charge_rate + sebi_fee_rate)
        + slippage_bps / 10000.0 as sell_cost_rate
    from cost_schedule

)

select * from final
