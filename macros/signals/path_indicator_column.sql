{#-
    path_indicator_column(indicator, period, multiplier, base_name): the path_indicators column of
    one parameter set of the dbt var path_indicator_params, failing compilation when that set is
    not configured there. Naming (strategy_compute/path/params.py): SuperTrend lines and chandelier
    levels are <indicator>_<period>_<multiplier>; supertrend_direction has no suffix for the first
    SuperTrend set and _<period>_<multiplier> for later ones. Decimal points become 'p' (2.5 -> 2p5).
      indicator  'supertrend' or 'chandelier_long'
      base_name  the column family: 'supertrend', 'supertrend_direction' or 'chandelier_long'
-#}
{% macro path_indicator_column(indicator, period, multiplier, base_name) %}
    {%- set configured = var('path_indicator_params', {}) -%}
    {%- set sets = configured.get(indicator, []) if configured is mapping else [] -%}
    {#- As Python's f"{x:g}" in strategy_compute/path/params.py writes it: 3.0 is '3', not '3.0'. -#}
    {%- set whole = multiplier | int -%}
    {%- set multiplier_token = ((whole if multiplier == whole else multiplier) | string).replace('.', 'p') -%}
    {%- set suffix = '_' ~ period ~ '_' ~ multiplier_token -%}
    {%- set found = namespace(position=none) -%}
    {%- for parameter_set in sets -%}
        {%- if found.position is none and parameter_set.period == period and parameter_set.multiplier == multiplier -%}
            {%- set found.position = loop.index0 -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if configured is string -%}
        {#- sqlfluff renders var() as a placeholder string: lint against the default column. -#}
        {%- set found.position = 0 -%}
    {%- endif -%}
    {%- if found.position is none -%}
        {%- do exceptions.raise_compiler_error(indicator ~ "(" ~ period ~ ", " ~ multiplier ~ ") is not a set of the dbt var path_indicator_params." ~ indicator ~ "; add it there") -%}
    {%- endif -%}
    {%- if base_name == 'supertrend_direction' and found.position == 0 -%}
        {{ return('supertrend_direction') }}
    {%- endif -%}
    {{ return(base_name ~ suffix) }}
{% endmacro %}
