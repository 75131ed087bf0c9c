{#-
    strategy_crossing(direction, reference): SQL boolean, true when indicator_value crosses
    `reference` (a column of the candidate row, e.g. entry_reference_value) on this row; the
    previous row's values are prev_indicator_value and prev_<reference>. Both days must have values:
      'above': previous indicator <= previous reference and indicator > reference
      'below': previous indicator >= previous reference and indicator < reference
-#}
{% macro strategy_crossing(direction, reference) -%}
    {%- if direction not in ('above', 'below') -%}
        {%- do exceptions.raise_compiler_error("strategy_crossing: direction must be 'above' or 'below', got " ~ direction) -%}
    {%- endif -%}
    {%- set before, after = ('<=', '>') if direction == 'above' else ('>=', '<') -%}
    {{ return('(prev_indicator_value is not null and indicator_value is not null'
        ~ ' and prev_' ~ reference ~ ' is not null and ' ~ reference ~ ' is not null'
        ~ ' and prev_indicator_value ' ~ before ~ ' prev_' ~ reference ~ ' and indicator_value ' ~ after ~ ' ' ~ reference ~ ')') }}
{%- endmacro %}
