{#-
    indicator_bars: the per-row inputs every indicator reads, from adjusted daily prices.

    Columns: the prices, bar_index (dense 0-based row number in the symbol's history: indicators
    count rows, not calendar days), and the one-row differences (close change, true range, +DM,
    -DM, typical price and its change, log return, signed OBV volume). The differences need the
    previous row, so on a slice of history the first row's differences are NULL.
    prices: a relation or CTE with symbol, trade_date, open, high, low, close, volume.
    first_bar_index: SQL expression for the bar_index of each symbol's first row in `prices`
    ('0' for whole histories; the stored index of the slice's first row on incremental runs).
-#}
{% macro indicator_bars(prices, first_bar_index='0') -%}
    select
        symbol,
        trade_date,
        open,
        high,
        low,
        close,
        volume,
        {{ first_bar_index }} + row_number() over (partition by symbol order by trade_date) - 1 as bar_index,
        close - lag(close) over (partition by symbol order by trade_date) as close_change,
        {{ true_range('high', 'low', 'close') }} as true_range,
        {{ plus_dm('high', 'low') }} as plus_dm,
        {{ minus_dm('high', 'low') }} as minus_dm,
        {{ typical_price('high', 'low', 'close') }} as typical_price,
        {{ typical_price('high', 'low', 'close') }}
        - lag({{ typical_price('high', 'low', 'close') }}) over (partition by symbol order by trade_date) as typical_price_change,
        {{ log_return('close') }} as log_return,
        {{ obv_step('close', 'volume') }} as obv_step
    from {{ prices }}
{%- endmacro %}
