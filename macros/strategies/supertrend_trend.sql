{#-
    Strategy type supertrend_trend: follow the SuperTrend direction (a path-dependent indicator of
    the path_indicators mart; (period, multiplier) must be a set of the dbt var path_indicator_params).
    Discovered by its macro name (strategy_type__<type>, docs/STRATEGIES.md).
-#}
{% macro strategy_type__supertrend_trend(params=none) %}
    {%- set spec = {
        'description': 'Enter when the SuperTrend(period, multiplier) direction turns up, exit when it turns down.',
        'defaults': {'period': 10, 'multiplier': 3, 'max_holding_days': 0},
    } -%}
    {%- if params is none -%}
        {{ return(spec) }}
    {%- endif -%}
    {%- set bands = [params.period, params.multiplier] -%}
    {%- set direction = strategy_indicator_column('supertrend', bands, 'direction') -%}
    {#- Strength 1: a direction flip has no magnitude. -#}
    {%- do spec.update({
        'problem': 'need period >= 1 and multiplier > 0' if params.period < 1 or params.multiplier <= 0 else none,
        'inputs': {'supertrend': [bands]},
        'columns': {
            'indicator_value': direction,
            'entry_reference_value': 0,
            'exit_reference_value': 0,
            'filter_value': 'null',
            'labels': direction ~ ',zero,zero,',
        },
        'rules': {
            'entry': strategy_crossing('above', 'entry_reference_value'),
            'exit': strategy_crossing('below', 'exit_reference_value'),
            'entry_strength': '1.0',
            'exit_strength': '1.0',
        },
    }) -%}
    {{ return(spec) }}
{% endmacro %}
