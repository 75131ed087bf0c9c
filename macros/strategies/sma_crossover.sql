{#-
    Strategy type sma_crossover: long while the fast simple moving average is above the slow one.
    Discovered by its macro name (strategy_type__<type>, docs/STRATEGIES.md); the generic machinery
    in macros/signals/ expands, validates and compiles it.
-#}
{% macro strategy_type__sma_crossover(params=none) %}
    {%- set spec = {
        'description': 'Enter when the fast SMA crosses above the slow SMA, exit when it crosses below.',
        'defaults': {'fast': 50, 'slow': 200, 'max_holding_days': 0},
    } -%}
    {%- if params is none -%}
        {{ return(spec) }}
    {%- endif -%}
    {%- set fast = strategy_indicator_column('sma', params.fast) -%}
    {%- set slow = strategy_indicator_column('sma', params.slow) -%}
    {#- Strength: the gap on the crossing day, 1 at a 1% gap. -#}
    {%- set gap = 'abs(indicator_value - entry_reference_value) / entry_reference_value / 0.01' -%}
    {%- do spec.update({
        'problem': 'fast period must be below slow period' if params.fast >= params.slow else none,
        'inputs': {'sma': [params.fast, params.slow]},
        'columns': {
            'indicator_value': fast,
            'entry_reference_value': slow,
            'exit_reference_value': slow,
            'filter_value': 'null',
            'labels': 'sma_' ~ params.fast ~ ',sma_' ~ params.slow ~ ',sma_' ~ params.slow ~ ',',
        },
        'rules': {
            'entry': strategy_crossing('above', 'entry_reference_value'),
            'exit': strategy_crossing('below', 'exit_reference_value'),
            'entry_strength': gap,
            'exit_strength': gap,
        },
    }) -%}
    {{ return(spec) }}
{% endmacro %}
