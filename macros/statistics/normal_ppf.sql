{#-
    Inverse of the standard normal CDF, Phi^-1(p) for 0 < p < 1, as a portable SQL expression.

    Formula: P. J. Acklam's rational approximation (2003): a central rational function of
    q = p - 0.5 for 0.02425 <= p <= 0.97575 and a rational function of sqrt(-2 ln p) in the tails.
    Accuracy: relative error below 1.15e-9 (no refinement step), checked against
    scipy.stats.norm.ppf in tests/python/test_backtest.py. Used for the expected maximum Sharpe
    ratio of the deflated Sharpe ratio, where that error is far below the estimation noise.
    NULL outside (0, 1). The argument is repeated: pass a column.
-#}
{% macro normal_ppf(p) -%}
    (case
        when {{ p }} is null or {{ p }} <= 0 or {{ p }} >= 1 then null
        when {{ p }} < 0.02425 then {{ _acklam_tail('sqrt(-2.0 * ln(' ~ p ~ '))') }}
        when {{ p }} > 0.97575 then -{{ _acklam_tail('sqrt(-2.0 * ln(1.0 - ' ~ p ~ '))') }}
        else
            (((((-39.69683028665376 * ({{ p }} - 0.5) * ({{ p }} - 0.5) + 220.9460984245205)
                * ({{ p }} - 0.5) * ({{ p }} - 0.5) - 275.9285104469687)
                * ({{ p }} - 0.5) * ({{ p }} - 0.5) + 138.3577518672690)
                * ({{ p }} - 0.5) * ({{ p }} - 0.5) - 30.66479806614716)
                * ({{ p }} - 0.5) * ({{ p }} - 0.5) + 2.506628277459239) * ({{ p }} - 0.5)
            / (((((-54.47609879822406 * ({{ p }} - 0.5) * ({{ p }} - 0.5) + 161.5858368580409)
                * ({{ p }} - 0.5) * ({{ p }} - 0.5) - 155.6989798598866)
                * ({{ p }} - 0.5) * ({{ p }} - 0.5) + 66.80131188771972)
                * ({{ p }} - 0.5) * ({{ p }} - 0.5) - 13.28068155288572)
                * ({{ p }} - 0.5) * ({{ p }} - 0.5) + 1.0)
    end)
{%- endmacro %}

{#- Lower-tail branch of Acklam's approximation in q = sqrt(-2 ln p). -#}
{% macro _acklam_tail(q) -%}
    ((((((-0.007784894002430293 * {{ q }} - 0.3223964580411365) * {{ q }} - 2.400758277161838) * {{ q }}
        - 2.549732539343734) * {{ q }} + 4.374664141464968) * {{ q }} + 2.938163982698783)
    / ((((0.007784695709041462 * {{ q }} + 0.3224671290700398) * {{ q }} + 2.445134137142996) * {{ q }}
        + 3.754408661907416) * {{ q }} + 1.0))
{%- endmacro %}
