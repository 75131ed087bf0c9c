{#-
    Generic test on portfolio_weights: a row for every breach of its portfolio's limits as declared
    in the dbt var `portfolios` (portfolio_limit_values), up to `tolerance` for floating-point
    rounding of the proportional scalings. Breaches: a target weight below 0 or above the raw
    weight (limits only lower weights), above max_symbol_weight; a day with more positions (target
    weight > 0) than max_positions; a portfolio id the var does not declare.
-#}
{% test portfolio_weights_within_limits(model, tolerance=1e-9) %}
    with

    weights as (

        select * from {{ model }}

    ),

    limits as (

        {{ portfolio_limit_values() }}

    ),

    row_breaches as (

        select
            weights.portfolio_id,
            weights.trade_date,
            weights.symbol,
            case
                when limits.portfolio_id is null then 'undeclared portfolio'
                when weights.target_weight < 0 then 'negative target_weight'
                when weights.target_weight > weights.raw_weight + {{ tolerance }} then 'target_weight above raw_weight'
                when weights.target_weight > limits.max_symbol_weight + {{ tolerance }} then 'max_symbol_weight'
            end as breach
        from weights
        left join limits on weights.portfolio_id = limits.portfolio_id

    ),

    day_breaches as (

        select
            weights.portfolio_id,
            weights.trade_date,
            cast(null as {{ dbt.type_string() }}) as symbol,
            'max_positions' as breach
        from weights
        inner join limits on weights.portfolio_id = limits.portfolio_id
        where weights.target_weight > 0
        group by weights.portfolio_id, weights.trade_date
        having count(*) > max(limits.max_positions)

    )

    select * from row_breaches where breach is not null
    union all
    select * from day_breaches
{% endtest %}
