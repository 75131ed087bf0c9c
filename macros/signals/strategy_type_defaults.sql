{#-
    strategy_type_defaults(strategy_type): every parameter a strategy type understands, with its
    default. A declared strategy may override any of them (a list makes it a grid axis) and may not
    add others. max_holding_days = 0 means no time limit.
      sma_crossover        fast/slow SMA periods (cross above enters, cross below exits)
      rsi_mean_reversion   RSI period; enter on a cross up through entry_level, exit on a cross up
                           through exit_level or after max_holding_days trading days
      macd_momentum        MACD fast/slow/signal EMA periods and the trend EMA period the close must
                           be above on entry
      bollinger_reversion  band period and width in population standard deviations
      supertrend_trend     SuperTrend ATR period and band multiplier (a set of the dbt var
                           path_indicator_params): enter when the direction turns up, exit when
                           it turns down
    Not a default of any type, every strategy may also declare trailing_stop (see
    strategy_stop_candidate); it is part of the parameter set (and of its id) only when given.
-#}
{% macro strategy_type_defaults(strategy_type) %}
    {%- set defaults = {
        'sma_crossover': {'fast': 50, 'slow': 200, 'max_holding_days': 0},
        'rsi_mean_reversion': {'period': 14, 'entry_level': 30, 'exit_level': 70, 'max_holding_days': 20},
        'macd_momentum': {'fast': 12, 'slow': 26, 'signal': 9, 'trend_ema': 200, 'max_holding_days': 0},
        'bollinger_reversion': {'period': 20, 'num_stddev': 2, 'max_holding_days': 0},
        'supertrend_trend': {'period': 10, 'multiplier': 3, 'max_holding_days': 0},
    } -%}
    {%- if strategy_type not in defaults -%}
        {%- do exceptions.raise_compiler_error("unknown strategy type '" ~ strategy_type ~ "'; known: " ~ (defaults.keys() | list | join(', '))) -%}
    {%- endif -%}
    {{ return(defaults[strategy_type]) }}
{% endmacro %}
