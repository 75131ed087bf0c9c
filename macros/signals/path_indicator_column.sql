{#-
    path_indicator_column(indicator, period, multiplier, base_name): the path_indicators column of
    one parameter set of the dbt var path_indicator_params, as path_indicator_columns() names it,
    failing compilation when that set is not configured there.
      indicator  'supertrend' or 'chandelier_long'
      base_name  the column family: 'supertrend', 'supertrend_direction' or 'chandelier_long'
-#}
{% macro path_indicator_column(indicator, period, multiplier, base_name) %}
    {%- if var('path_indicator_params', {}) is string -%}
        {#- sqlfluff renders var() as a placeholder string: lint against the family's name. -#}
        {{ return(base_name) }}
    {%- endif -%}
    {%- for column in path_indicator_columns() -%}
        {%- if column.indicator == indicator and column.family == base_name and column.period == period and column.multiplier == multiplier -%}
            {{ return(column.column_name) }}
        {%- endif -%}
    {%- endfor -%}
    {%- do exceptions.raise_compiler_error(indicator ~ "(" ~ period ~ ", " ~ multiplier ~ ") is not a set of the dbt var path_indicator_params." ~ indicator ~ "; add it there") -%}
{% endmacro %}
