-- noqa: disable=LT02
-- (sqlfluff mis-reads the indentation of nested Jinja control tags in this Jinja-only macro.)
{#-
    strategy_indicator_columns(strategy_type, params): SQL expressions over the `indicators` mart
    (one row per symbol and day) giving the values a strategy type compares:
      indicator_value        the moving quantity (fast SMA, RSI, MACD line, close)
      entry_reference_value  what it must cross to enter (slow SMA, entry level, signal line, lower band)
      exit_reference_value   what it must cross to exit (slow SMA, exit level, signal line, middle band)
      filter_value           a condition on entry only (EMA trend filter for macd_momentum) or NULL
      labels                 the names of those four values, as text
    Periods with a column in the mart use it; other SMA/Bollinger periods are computed here with
    strategy_rolling_stat. RSI, MACD and EMA periods other than the mart's defaults are recursive:
    the mart adds columns for them (strategy_indicator_periods), named rsi_<n>, ema_<n>,
    macd_<f>_<s>_<g> and macd_signal_<f>_<s>_<g>.
-#}
{% macro strategy_indicator_columns(strategy_type, params) %}
    {%- set mart_sma_periods = [20, 50, 200] -%}
    {%- set columns = {'filter_value': 'null'} -%}
    {#- supertrend_trend reads path_indicators (joined to the indicators rows by the caller). -#}
    {%- if strategy_type == 'sma_crossover' -%}
        {%- set legs = [] -%}
        {%- for period in [params.fast, params.slow] -%}
            {%- do legs.append('sma_' ~ period if period in mart_sma_periods else strategy_rolling_stat('avg', 'close', period)) -%}
        {%- endfor -%}
        {%- do columns.update({'indicator_value': legs[0], 'entry_reference_value': legs[1], 'exit_reference_value': legs[1]}) -%}
        {%- do columns.update({'labels': 'sma_' ~ params.fast ~ ',sma_' ~ params.slow ~ ',sma_' ~ params.slow ~ ','}) -%}
    {%- elif strategy_type == 'rsi_mean_reversion' -%}
        {%- set rsi_column = 'rsi_' ~ params.period -%}
        {%- do columns.update({'indicator_value': rsi_column, 'entry_reference_value': params.entry_level, 'exit_reference_value': params.exit_level}) -%}
        {%- do columns.update({'labels': rsi_column ~ ',entry_level,exit_level,'}) -%}
    {%- elif strategy_type == 'macd_momentum' -%}
        {%- set suffix = '' if [params.fast, params.slow, params.signal] == [12, 26, 9] else '_' ~ params.fast ~ '_' ~ params.slow ~ '_' ~ params.signal -%}
        {%- set line, signal_line = 'macd' ~ suffix, 'macd_signal' ~ suffix -%}
        {%- do columns.update({'indicator_value': line, 'entry_reference_value': signal_line, 'exit_reference_value': signal_line}) -%}
        {%- do columns.update({'filter_value': 'ema_' ~ params.trend_ema, 'labels': line ~ ',' ~ signal_line ~ ',' ~ signal_line ~ ',ema_' ~ params.trend_ema}) -%}
    {%- elif strategy_type == 'bollinger_reversion' -%}
        {%- set default_bands = params.period == 20 and params.num_stddev == 2 -%}
        {%- set middle = 'bb_middle' if default_bands else strategy_rolling_stat('avg', 'close', params.period) -%}
        {%- set deviation = strategy_rolling_stat('stddev_pop', 'close', params.period) -%}
        {%- set lower = 'bb_lower' if default_bands else '(' ~ middle ~ ') - ' ~ params.num_stddev ~ ' * (' ~ deviation ~ ')' -%}
        {%- do columns.update({'indicator_value': 'close', 'entry_reference_value': lower, 'exit_reference_value': middle}) -%}
        {%- do columns.update({'labels': 'close,bb_lower,bb_middle,'}) -%}
    {%- elif strategy_type == 'supertrend_trend' -%}
        {%- set direction = path_indicator_column('supertrend', params.period, params.multiplier, 'supertrend_direction') -%}
        {%- do columns.update({'indicator_value': direction, 'entry_reference_value': 0, 'exit_reference_value': 0}) -%}
        {%- do columns.update({'labels': direction ~ ',zero,zero,'}) -%}
    {%- else -%}
        {%- do exceptions.raise_compiler_error("no indicator columns for strategy type " ~ strategy_type) -%}
    {%- endif -%}
    {{ return(columns) }}
{% endmacro %}
