{#-
    ml_label_horizon(): the label horizon N in sessions (var ml_label_horizon, default 10): ml_labels'
    forward return runs from the close of session D to the close of session D + N. Fails
    compilation unless it is a positive integer.
-#}
{% macro ml_label_horizon() %}
    {%- set horizon = var('ml_label_horizon', 10) -%}
    {%- if execute and (horizon is not number or horizon != horizon | int or horizon < 1) -%}
        {%- do exceptions.raise_compiler_error("var ml_label_horizon must be a positive integer, got " ~ horizon) -%}
    {%- endif -%}
    {{ return(horizon | int) }}
{% endmacro %}
