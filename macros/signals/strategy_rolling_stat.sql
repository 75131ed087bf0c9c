{#-
    strategy_rolling_stat(stat, column, period): avg or stddev_pop of `column` over the last `period`
    rows of the symbol (this row included), NULL until `period` values exist (TA-Lib's warm-up).
    Used by strategies whose periods have no column in the `indicators` mart (e.g. SMA 100); the
    period is a literal because the parameter grid is expanded at compile time.
    Reference: TA-Lib SMA; BBANDS uses the population standard deviation, hence stddev_pop.
-#}
{% macro strategy_rolling_stat(stat, column, period) -%}
    case
        when count({{ column }}) over (
            partition by symbol order by trade_date rows between {{ period - 1 }} preceding and current row
        ) = {{ period }}
            then {{ stat }}({{ column }}) over (
                partition by symbol order by trade_date rows between {{ period - 1 }} preceding and current row
            )
    end
{%- endmacro %}
