{#-
    indicator_mart_periods(): the parameters the `indicators` mart computes its columns with (TA-Lib
    defaults; models/marts/indicators.sql). A strategy input with these parameters reads the mart's
    column; other recursive periods come from int_indicator_variants (indicator_variant_periods),
    other SMA and Bollinger periods are windows in the strategy's own SQL (strategy_indicator_column).
-#}
{% macro indicator_mart_periods() %}
    {{ return({
        'sma': [20, 50, 200],
        'ema': [12, 26, 50, 200],
        'rsi': [14],
        'macd': [[12, 26, 9]],
        'bollinger': [[20, 2]],
    }) }}
{% endmacro %}
