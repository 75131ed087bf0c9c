{#- validate_strategy_params(strategy_id, strategy_type, params): fail compilation on a parameter set
    that cannot mean anything (fast period not below slow, levels out of order, periods < 1). -#}
{% macro validate_strategy_params(strategy_id, strategy_type, params) %}
    {%- set problem = none -%}
    {%- if strategy_type in ('sma_crossover', 'macd_momentum') and params.fast >= params.slow -%}
        {%- set problem = 'fast period must be below slow period' -%}
    {%- elif strategy_type == 'rsi_mean_reversion' and not (0 < params.entry_level < params.exit_level < 100) -%}
        {%- set problem = 'need 0 < entry_level < exit_level < 100' -%}
    {%- elif strategy_type == 'bollinger_reversion' and (params.period < 2 or params.num_stddev <= 0) -%}
        {%- set problem = 'need period >= 2 and num_stddev > 0' -%}
    {%- elif strategy_type == 'supertrend_trend' and (params.period < 1 or params.multiplier <= 0) -%}
        {%- set problem = 'need period >= 1 and multiplier > 0' -%}
    {%- elif params.max_holding_days < 0 -%}
        {%- set problem = 'max_holding_days must be >= 0' -%}
    {%- endif -%}
    {%- if problem is not none -%}
        {%- do exceptions.raise_compiler_error("strategy " ~ strategy_id ~ " " ~ (params | tojson) ~ ": " ~ problem) -%}
    {%- endif -%}
{% endmacro %}
