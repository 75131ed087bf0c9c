{#-
    Standard normal cumulative distribution function Phi(x) as a portable SQL expression.

    Formula: Hart (1968) algorithm 5666 as given by G. West, "Better approximations to cumulative
    normal functions" (Wilmott Magazine, 2005): for |x| < 7.0710678 a ratio of a degree-6 and a
    degree-7 polynomial in |x| times exp(-x^2 / 2); beyond it a continued fraction; 0 beyond 37.
    Phi(x) = 1 - tail for x > 0. Accuracy: absolute error below 1e-14 over the real line (double
    precision), checked against scipy.stats.norm.cdf in tests/python/test_backtest.py.
    Only + - * / abs exp and case are used, so it renders the same on DuckDB and BigQuery.
    The argument is repeated in the expression: pass a column, not a costly expression.
-#}
{% macro normal_cdf(x) -%}
    (case
        when {{ x }} is null then null
        when abs({{ x }}) > 37 then (case when {{ x }} > 0 then 1.0 else 0.0 end)
        else (case when {{ x }} > 0 then 1.0 else 0.0 end)
            + (case when {{ x }} > 0 then -1.0 else 1.0 end) * {{ _normal_tail(x) }}
    end)
{%- endmacro %}

{#- The upper tail Phi(-|x|) of West's formula, valid for |x| <= 37. -#}
{% macro _normal_tail(x) -%}
    (case
        when abs({{ x }}) < 7.07106781186547 then
            exp(-abs({{ x }}) * abs({{ x }}) / 2.0)
            * ((((((0.0352624965998911 * abs({{ x }}) + 0.700383064443688) * abs({{ x }})
                + 6.37396220353165) * abs({{ x }}) + 33.912866078383) * abs({{ x }})
                + 112.079291497871) * abs({{ x }}) + 221.213596169931) * abs({{ x }})
                + 220.206867912376)
            / (((((((0.0883883476483184 * abs({{ x }}) + 1.75566716318264) * abs({{ x }})
                + 16.064177579207) * abs({{ x }}) + 86.7807322029461) * abs({{ x }})
                + 296.564248779674) * abs({{ x }}) + 637.333633378831) * abs({{ x }})
                + 793.826512519948) * abs({{ x }}) + 440.413735824752)
        else
            exp(-abs({{ x }}) * abs({{ x }}) / 2.0)
            / (abs({{ x }}) + 1.0 / (abs({{ x }}) + 2.0 / (abs({{ x }}) + 3.0 / (abs({{ x }})
                + 4.0 / (abs({{ x }}) + 0.65)))))
            / 2.506628274631
    end)
{%- endmacro %}
