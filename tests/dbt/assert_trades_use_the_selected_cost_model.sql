-- trades is incremental: stored trades keep the cost model they were computed with. After the var
-- cost_model changes, the backtest marts must be rebuilt with --full-refresh; until then this fails,
-- so a stale cost model never passes silently.
with

stored_cost_models as (

    select distinct cost_model from {{ ref('trades') }}

),

selected_cost_model as (

    select cost_model from {{ ref('int_backtest_cost_rates') }}

),

final as (

    select stored_cost_models.cost_model
    from stored_cost_models
    left join selected_cost_model
        on stored_cost_models.cost_model = selected_cost_model.cost_model
    where selected_cost_model.cost_model is null

)

select * from final
