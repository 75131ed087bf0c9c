{#-
    Strategy type macd_momentum: MACD crossovers, entries only above a trend EMA.
    Discovered by its macro name (strategy_type__<type>, docs/STRATEGIES.md).
-#}
{% macro strategy_type__macd_momentum(params=none) %}
    {%- set spec = {
        'description': 'Enter when the MACD(fast, slow, signal) line crosses above its signal line while'
            ~ ' the close is above EMA(trend_ema); exit when it crosses below.',
        'defaults': {'fast': 12, 'slow': 26, 'signal': 9, 'trend_ema': 200, 'max_holding_days': 0},
    } -%}
    {%- if params is none -%}
        {{ return(spec) }}
    {%- endif -%}
    {%- set triple = [params.fast, params.slow, params.signal] -%}
    {%- set line = strategy_indicator_column('macd', triple, 'line') -%}
    {%- set signal_line = strategy_indicator_column('macd', triple, 'signal') -%}
    {%- set trend = strategy_indicator_column('ema', params.trend_ema) -%}
    {#- Strength: entry 1 at a close 10% above the trend; exit 1 at a MACD-signal gap of half a
        percent of the price. -#}
    {%- do spec.update({
        'problem': 'fast period must be below slow period' if params.fast >= params.slow else none,
        'inputs': {'macd': [triple], 'ema': [params.trend_ema]},
        'columns': {
            'indicator_value': line,
            'entry_reference_value': signal_line,
            'exit_reference_value': signal_line,
            'filter_value': trend,
            'labels': line ~ ',' ~ signal_line ~ ',' ~ signal_line ~ ',' ~ trend,
        },
        'rules': {
            'entry': '(' ~ strategy_crossing('above', 'entry_reference_value') ~ ' and filter_value is not null and close_price > filter_value)',
            'exit': strategy_crossing('below', 'exit_reference_value'),
            'entry_strength': '(close_price - filter_value) / filter_value / 0.10',
            'exit_strength': 'abs(indicator_value - exit_reference_value) / (0.005 * close_price)',
        },
    }) -%}
    {{ return(spec) }}
{% endmacro %}
