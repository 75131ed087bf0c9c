{#-
    ml_training_window(): how ml_folds' training window grows (var ml_training_window): 'expanding'
    (from the first session) or 'rolling' (ml_rolling_training_years before test_start). Fails
    compilation on any other value.
-#}
{% macro ml_training_window() %}
    {%- set window = var('ml_training_window', 'expanding') -%}
    {%- if execute and window not in ['expanding', 'rolling'] -%}
        {%- do exceptions.raise_compiler_error("var ml_training_window must be expanding or rolling, got " ~ window) -%}
    {%- endif -%}
    {{ return(window) }}
{% endmacro %}
