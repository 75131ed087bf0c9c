{#-
    Generic test on portfolio_exposures: a row for every breach of its portfolio's limits as
    declared in the dbt var `portfolios` (portfolio_limit_values), up to `tolerance` for
    floating-point rounding: a sector above max_sector_weight; a '__GROSS__' row above
    max_gross_exposure or above 1 - min_cash_weight; a portfolio id the var does not declare.
-#}
{% test portfolio_exposures_within_limits(model, tolerance=1e-9) %}
    with

    exposures as (

        select * from {{ model }}

    ),

    limits as (

        {{ portfolio_limit_values() }}

    ),

    breaches as (

        select
            exposures.portfolio_id,
            exposures.trade_date,
            exposures.sector,
            exposures.weight,
            case
                when limits.portfolio_id is null then 'undeclared portfolio'
                when exposures.sector != '__GROSS__' and exposures.weight > limits.max_sector_weight + {{ tolerance }}
                    then 'max_sector_weight'
                when exposures.sector = '__GROSS__' and exposures.weight > limits.max_gross_exposure + {{ tolerance }}
                    then 'max_gross_exposure'
                when exposures.sector = '__GROSS__' and exposures.weight > 1 - limits.min_cash_weight + {{ tolerance }}
                    then 'min_cash_weight'
            end as breach
        from exposures
        left join limits on exposures.portfolio_id = limits.portfolio_id

    )

    select * from breaches where breach is not null
{% endtest %}
