{#-
    Strategy type rsi_mean_reversion: buy the rebound out of an oversold RSI, sell into strength.
    Discovered by its macro name (strategy_type__<type>, docs/STRATEGIES.md).
-#}
{% macro strategy_type__rsi_mean_reversion(params=none) %}
    {%- set spec = {
        'description': 'Enter when RSI(period) crosses up through entry_level, exit when it crosses up'
            ~ ' through exit_level or after max_holding_days trading days.',
        'defaults': {'period': 14, 'entry_level': 30, 'exit_level': 70, 'max_holding_days': 20},
    } -%}
    {%- if params is none -%}
        {{ return(spec) }}
    {%- endif -%}
    {%- set rsi_column = strategy_indicator_column('rsi', params.period) -%}
    {#- Strength: the one-day jump across the level, 1 at 10 RSI points. -#}
    {%- set jump = '(indicator_value - prev_indicator_value) / 10.0' -%}
    {%- do spec.update({
        'problem': none if 0 < params.entry_level < params.exit_level < 100 else 'need 0 < entry_level < exit_level < 100',
        'inputs': {'rsi': [params.period]},
        'columns': {
            'indicator_value': rsi_column,
            'entry_reference_value': params.entry_level,
            'exit_reference_value': params.exit_level,
            'filter_value': 'null',
            'labels': rsi_column ~ ',entry_level,exit_level,',
        },
        'rules': {
            'entry': strategy_crossing('above', 'entry_reference_value'),
            'exit': strategy_crossing('above', 'exit_reference_value'),
            'entry_strength': jump,
            'exit_strength': jump,
        },
    }) -%}
    {{ return(spec) }}
{% endmacro %}
