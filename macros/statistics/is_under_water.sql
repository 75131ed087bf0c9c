{#-
    Whether a day's drawdown counts as under water, for the underwater spells of performance.

    Formula: drawdown = equity / max(1, running max equity) - 1 is under water when below
    -1e-10, not merely below 0. The equity is exp(sum(ln(1 + r))) from a windowed running sum,
    and a running sum need not repeat its value bit for bit after a day with r = 0, nor hit the
    old peak exactly when the price returns to it (the window engine combines partial sums in its
    own order): a flat or recovered equity at its peak then shows a drawdown of about -1e-16 and
    would open a spell. The summation error of n daily log returns
    is about n * 1e-16 * max |ln(1 + r)|, far below 1e-10 for any history length used here, and a
    real drawdown that shallow would need a daily return between -1e-10 and 0.
    Reference: an underwater period is a run of consecutive days below the running peak, as
    pyfolio's underwater plot and drawdown periods define it (drawdown < 0 in exact arithmetic).
    A NULL drawdown is not under water (as a NULL comparison in a case expression).
-#}
{% macro is_under_water(drawdown) -%}
    ({{ drawdown }} < -1e-10)
{%- endmacro %}
