{#- strategy_clip_unit(expression): the expression clipped to [0, 1]; NULL stays NULL (written with
    CASE because BigQuery's LEAST/GREATEST return NULL when any argument is NULL). -#}
{% macro strategy_clip_unit(expression) -%}
    {%- set value = '(' ~ expression ~ ')' -%}
    {{ return('case when ' ~ value ~ ' is null then null when ' ~ value ~ ' < 0 then 0.0 when ' ~ value ~ ' > 1 then 1.0 else ' ~ value ~ ' end') }}
{%- endmacro %}
