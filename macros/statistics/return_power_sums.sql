{#-
    return_power_sums(): the aggregate list of the additive daily-return sums that performance's
    windows are built from (performance_years per calendar year, performance's last_1y pass),
    one expression per output column, comma separated, for the select list of a grouped query:

        trading_days n = count(*),  S_k = sum(r^k) for k = 1..4 (sum_return .. sum_return_fourth),
        sum_downside_squared = sum(min(x, 0)^2) with x = r - rf the daily excess return,
        sum(b), sum(b^2), sum(b * r) of the benchmark b, sum(ln(1 + r)), sum(ln(1 + b)),
        sum of the daily exposure and turnover.

    Central moments, Sharpe, Sortino, beta and growth follow from these sums (performance.sql);
    sums of disjoint day sets add, so a window is the sum of its parts. The input columns are
    net_return, excess_return, benchmark_return, log_growth (= ln(1 + net_return)), exposure and
    turnover. return_power_sum_columns() names the output columns in the same order (for merging
    stored sums with new ones: each adds). Reference: power-sum (raw-moment) accumulation as in
    Welford / Pebay, "Formulas for robust, one-pass parallel computation of covariances and
    arbitrary-order statistical moments" (2008), section 2 (the naive form used here).
-#}
{% macro return_power_sums() -%}
    count(*) as trading_days,
    sum(net_return) as sum_return,
    sum(net_return * net_return) as sum_return_squared,
    sum(net_return * net_return * net_return) as sum_return_cubed,
    sum(net_return * net_return * net_return * net_return) as sum_return_fourth,
    sum(case when excess_return < 0 then excess_return * excess_return else 0.0 end) as sum_downside_squared,
    sum(benchmark_return) as sum_benchmark_return,
    sum(benchmark_return * benchmark_return) as sum_benchmark_squared,
    sum(benchmark_return * net_return) as sum_benchmark_cross_return,
    sum(log_growth) as sum_log_growth,
    sum(ln(1.0 + benchmark_return)) as sum_benchmark_log_growth,
    sum(exposure) as sum_exposure,
    sum(turnover) as sum_turnover
{%- endmacro %}

{% macro return_power_sum_columns() -%}
    {{ return([
        'trading_days', 'sum_return', 'sum_return_squared', 'sum_return_cubed', 'sum_return_fourth',
        'sum_downside_squared', 'sum_benchmark_return', 'sum_benchmark_squared',
        'sum_benchmark_cross_return', 'sum_log_growth', 'sum_benchmark_log_growth', 'sum_exposure',
        'sum_turnover',
    ]) }}
{%- endmacro %}
