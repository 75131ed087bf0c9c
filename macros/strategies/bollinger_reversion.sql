{#-
    Strategy type bollinger_reversion: buy a close below the lower Bollinger band, sell at the mean.
    Discovered by its macro name (strategy_type__<type>, docs/STRATEGIES.md).
-#}
{% macro strategy_type__bollinger_reversion(params=none) %}
    {%- set spec = {
        'description': 'Enter when the close crosses below the lower band (period, num_stddev population'
            ~ ' standard deviations), exit when it crosses above the middle band.',
        'defaults': {'period': 20, 'num_stddev': 2, 'max_holding_days': 0},
    } -%}
    {%- if params is none -%}
        {{ return(spec) }}
    {%- endif -%}
    {%- set bands = [params.period, params.num_stddev] -%}
    {#- Strength: the distance beyond the crossed band, in half-band widths (middle - lower). -#}
    {%- set half_width = 'nullif(exit_reference_value - entry_reference_value, 0)' -%}
    {%- do spec.update({
        'problem': 'need period >= 2 and num_stddev > 0' if params.period < 2 or params.num_stddev <= 0 else none,
        'inputs': {'bollinger': [bands]},
        'columns': {
            'indicator_value': 'close',
            'entry_reference_value': strategy_indicator_column('bollinger', bands, 'lower'),
            'exit_reference_value': strategy_indicator_column('bollinger', bands, 'middle'),
            'filter_value': 'null',
            'labels': 'close,bb_lower,bb_middle,',
        },
        'rules': {
            'entry': strategy_crossing('below', 'entry_reference_value'),
            'exit': strategy_crossing('above', 'exit_reference_value'),
            'entry_strength': '(entry_reference_value - indicator_value) / ' ~ half_width,
            'exit_strength': '(indicator_value - exit_reference_value) / ' ~ half_width,
        },
    }) -%}
    {{ return(spec) }}
{% endmacro %}
