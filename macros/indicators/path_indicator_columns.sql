{#-
    path_indicator_columns(): the one home of the path_indicators mart's column names. One entry per
    output column of every parameter set of the dbt var path_indicator_params (an indicator missing
    from the var has no sets): {indicator, set_index, family, column_name, period, multiplier,
    acceleration, maximum}. The model int_path_indicator_columns writes these rows, the Python model
    path_indicators reads them (strategy_compute.path.PathIndicatorParams.from_column_rows), and
    path_indicator_column() looks strategies' columns up here.
    Naming: the first PSAR set writes psar / psar_is_long and the first SuperTrend set
    supertrend_direction; later sets carry their parameters (psar_0p03_0p3, psar_is_long_0p03_0p3,
    supertrend_direction_7_2p5). SuperTrend lines and chandelier levels always carry them
    (supertrend_10_3, chandelier_long_22_3). A parameter is written without a trailing '.0', with
    'p' for the decimal point and 'm' for a minus sign (3 -> 3, 2.5 -> 2p5, 0.03 -> 0p03).
-#}
{% macro path_indicator_columns() %}
    {%- set configured = var('path_indicator_params', {}) -%}
    {%- if configured is string -%}
        {#- sqlfluff renders var() as a placeholder string: no sets. -#}
        {%- set configured = {} -%}
    {%- endif -%}
    {%- set columns = [] -%}
    {%- for parameter_set in configured.get('psar', []) -%}
        {%- set suffix = '' if loop.first else '_' ~ path_indicator_token(parameter_set.acceleration) ~ '_' ~ path_indicator_token(parameter_set.maximum) -%}
        {%- set set_index = loop.index0 -%}
        {%- for family in ['psar', 'psar_is_long'] -%}
            {%- do columns.append({'indicator': 'psar', 'set_index': set_index, 'family': family, 'column_name': family ~ suffix, 'period': none, 'multiplier': none, 'acceleration': parameter_set.acceleration, 'maximum': parameter_set.maximum}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for parameter_set in configured.get('supertrend', []) -%}
        {%- set suffix = '_' ~ parameter_set.period ~ '_' ~ path_indicator_token(parameter_set.multiplier) -%}
        {%- set set_index = loop.index0 -%}
        {%- do columns.append({'indicator': 'supertrend', 'set_index': set_index, 'family': 'supertrend', 'column_name': 'supertrend' ~ suffix, 'period': parameter_set.period, 'multiplier': parameter_set.multiplier, 'acceleration': none, 'maximum': none}) -%}
        {%- do columns.append({'indicator': 'supertrend', 'set_index': set_index, 'family': 'supertrend_direction', 'column_name': 'supertrend_direction' ~ ('' if loop.first else suffix), 'period': parameter_set.period, 'multiplier': parameter_set.multiplier, 'acceleration': none, 'maximum': none}) -%}
    {%- endfor -%}
    {%- for parameter_set in configured.get('chandelier_long', []) -%}
        {%- do columns.append({'indicator': 'chandelier_long', 'set_index': loop.index0, 'family': 'chandelier_long', 'column_name': 'chandelier_long_' ~ parameter_set.period ~ '_' ~ path_indicator_token(parameter_set.multiplier), 'period': parameter_set.period, 'multiplier': parameter_set.multiplier, 'acceleration': none, 'maximum': none}) -%}
    {%- endfor -%}
    {{ return(columns) }}
{% endmacro %}

{#- A parameter as a column-name token: 3.0 -> '3', 2.5 -> '2p5', -1 -> 'm1'. -#}
{% macro path_indicator_token(value) %}
    {%- set whole = value | int -%}
    {{ return(((whole if value == whole else value) | string).replace('.', 'p').replace('-', 'm')) }}
{% endmacro %}
