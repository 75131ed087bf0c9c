{#-
    finite_or_null(expression): the number, or NULL when it is infinite or NaN. For metrics whose
    formula can leave the doubles in a degenerate window (two days of a new year: a beta of -4,590
    raised alpha's (1 + x) ^ 252 to infinity), so that a mart holds NULL, "no meaningful value",
    rather than an infinity an analyst's aggregate would carry along.
-#}
{% macro finite_or_null(expression) -%}
    case when {{ is_finite_number(expression) }} then {{ expression }} end
{%- endmacro %}
