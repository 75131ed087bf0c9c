{#-
    ml_embargo_sessions(): the sessions left out between a fold's last training day and its first
    test day (var ml_embargo_sessions; default, and at least, the label horizon). With E >= N
    sessions between them, the label of the last training day is known at session train_end + N,
    before test_start: no training label overlaps the test period. Fails compilation when the var
    is below the horizon.
-#}
{% macro ml_embargo_sessions() %}
    {%- set horizon = ml_label_horizon() -%}
    {%- set embargo = var('ml_embargo_sessions', horizon) -%}
    {%- if execute and (embargo is not number or embargo != embargo | int or embargo < horizon) -%}
        {%- do exceptions.raise_compiler_error("var ml_embargo_sessions must be an integer of at least ml_label_horizon (" ~ horizon ~ "), got " ~ embargo) -%}
    {%- endif -%}
    {{ return(embargo | int) }}
{% endmacro %}
