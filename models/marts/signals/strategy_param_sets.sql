-- Every declared strategy expanded into its parameter sets (the grid's cartesian product), enabled
-- or not, with the stable param_set_id the other marts carry. Rows are literals written at compile
-- time from the dbt var `strategies` (macro strategy_param_sets).
{%- set param_sets = strategy_param_sets() %}

with

declared as (

    {%- for param_set in param_sets %}
        select
            '{{ param_set.strategy_id }}' as strategy_id,
            '{{ param_set.param_set_id }}' as param_set_id,
            '{{ param_set.strategy_type }}' as strategy_type,
            '{{ param_set.parameters_json }}' as parameters,
            {{ param_set.enabled }} as enabled
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

final as (

    select
        strategy_id,
        param_set_id,
        strategy_type,
        parameters,
        enabled
    from declared

)

select * from final
