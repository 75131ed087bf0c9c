{#-
    strategy_rules(strategy_type): SQL boolean and strength expressions over a row that carries
    indicator_value, entry_reference_value, exit_reference_value, filter_value, close_price and the
    previous row's prev_indicator_value, prev_entry_reference_value, prev_exit_reference_value.

    Crossings (both days must have values):
      crosses above: previous indicator <= previous reference and indicator > reference
      crosses below: previous indicator >= previous reference and indicator < reference
    Entry / exit candidates:
      sma_crossover        fast crosses above slow / fast crosses below slow
      rsi_mean_reversion   RSI crosses above entry_level / RSI crosses above exit_level
      macd_momentum        MACD crosses above signal and close > trend EMA / MACD crosses below signal
      bollinger_reversion  close crosses below lower band / close crosses above middle band
      supertrend_trend     SuperTrend direction crosses above 0 (turns up) / below 0 (turns down)
    Strength, clipped to [0, 1] (entry_strength on entry candidates, exit_strength on exit candidates):
      sma_crossover        |fast - slow| / slow / 0.01: gap on the crossing day, 1 at a 1% gap
      rsi_mean_reversion   (RSI - previous RSI) / 10: the one-day jump across the level, 1 at 10 points
      macd_momentum        entry (close - trend EMA) / trend EMA / 0.10: 1 at 10% above the trend;
                           exit |MACD - signal| / (0.005 * close): 1 at half a percent of price
      bollinger_reversion  entry (lower - close) / (middle - lower): depth below the band in
                           half-band widths; exit (close - middle) / (middle - lower)
      supertrend_trend     1 (a direction flip has no magnitude)
    Returns a dict of expressions: is_entry_candidate, is_exit_candidate, entry_strength, exit_strength.
-#}
{% macro strategy_rules(strategy_type) %}
    {%- set both_days = 'prev_indicator_value is not null and indicator_value is not null' -%}
    {%- set entry_cross_above = '(' ~ both_days ~ ' and prev_entry_reference_value is not null and entry_reference_value is not null'
        ~ ' and prev_indicator_value <= prev_entry_reference_value and indicator_value > entry_reference_value)' -%}
    {%- set entry_cross_below = '(' ~ both_days ~ ' and prev_entry_reference_value is not null and entry_reference_value is not null'
        ~ ' and prev_indicator_value >= prev_entry_reference_value and indicator_value < entry_reference_value)' -%}
    {%- set exit_cross_above = '(' ~ both_days ~ ' and prev_exit_reference_value is not null and exit_reference_value is not null'
        ~ ' and prev_indicator_value <= prev_exit_reference_value and indicator_value > exit_reference_value)' -%}
    {%- set exit_cross_below = '(' ~ both_days ~ ' and prev_exit_reference_value is not null and exit_reference_value is not null'
        ~ ' and prev_indicator_value >= prev_exit_reference_value and indicator_value < exit_reference_value)' -%}
    {%- if strategy_type == 'sma_crossover' -%}
        {%- set gap = 'abs(indicator_value - entry_reference_value) / entry_reference_value / 0.01' -%}
        {%- set rules = {'entry': entry_cross_above, 'exit': exit_cross_below, 'entry_strength': gap, 'exit_strength': gap} -%}
    {%- elif strategy_type == 'rsi_mean_reversion' -%}
        {%- set jump = '(indicator_value - prev_indicator_value) / 10.0' -%}
        {%- set rules = {'entry': entry_cross_above, 'exit': exit_cross_above, 'entry_strength': jump, 'exit_strength': jump} -%}
    {%- elif strategy_type == 'macd_momentum' -%}
        {%- set rules = {
            'entry': '(' ~ entry_cross_above ~ ' and filter_value is not null and close_price > filter_value)',
            'exit': exit_cross_below,
            'entry_strength': '(close_price - filter_value) / filter_value / 0.10',
            'exit_strength': 'abs(indicator_value - exit_reference_value) / (0.005 * close_price)',
        } -%}
    {%- elif strategy_type == 'bollinger_reversion' -%}
        {%- set rules = {
            'entry': entry_cross_below,
            'exit': exit_cross_above,
            'entry_strength': '(entry_reference_value - indicator_value) / nullif(exit_reference_value - entry_reference_value, 0)',
            'exit_strength': '(indicator_value - exit_reference_value) / nullif(exit_reference_value - entry_reference_value, 0)',
        } -%}
    {%- elif strategy_type == 'supertrend_trend' -%}
        {#- A direction flip has no magnitude: strength 1. -#}
        {%- set rules = {'entry': entry_cross_above, 'exit': exit_cross_below, 'entry_strength': '1.0', 'exit_strength': '1.0'} -%}
    {%- else -%}
        {%- do exceptions.raise_compiler_error("no rules for strategy type " ~ strategy_type) -%}
    {%- endif -%}
    {{ return({
        'is_entry_candidate': 'coalesce(' ~ rules.entry ~ ', false)',
        'is_exit_candidate': 'coalesce(' ~ rules.exit ~ ', false)',
        'entry_strength': strategy_clip_unit(rules.entry_strength),
        'exit_strength': strategy_clip_unit(rules.exit_strength),
    }) }}
{% endmacro %}
