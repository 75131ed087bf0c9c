-- noqa: disable=LT02
-- (sqlfluff mis-reads the indentation of the Jinja loops inside this SQL-emitting macro.)
{#-
    typed_market_data(relation): the rows of the market_data source with staging's types and the
    normalised key (symbol upper-cased and trimmed, trade_date a date). base_market_data_checked
    selects from it, and its pre_hook (delete_reloaded_market_data) compares the stored rows with
    it, so both sides of that comparison are typed by the same expressions.
    The source stores numbers as loaded (volume too is a double there), so an infinite, NaN or
    out-of-range value arrives here: has_non_finite_value flags it (staging rejects the row as
    non_finite_value) and volume becomes NULL instead of failing the cast; has_fractional_volume
    flags a volume that is not a whole number of shares.
-#}
{% macro typed_market_data(relation) -%}
    select
        upper(trim(cast(symbol as {{ dbt.type_string() }}))) as symbol,
        cast(trade_date as date) as trade_date,
        cast(open as {{ strategy_float_type() }}) as open,
        cast(high as {{ strategy_float_type() }}) as high,
        cast(low as {{ strategy_float_type() }}) as low,
        cast(close as {{ strategy_float_type() }}) as close,
        {{ integer_or_null('volume') }} as volume,
        cast(value as {{ strategy_float_type() }}) as traded_value,
        cast(trades as {{ dbt.type_bigint() }}) as trades,
        cast(series as {{ dbt.type_string() }}) as series,
        cast(exchange as {{ dbt.type_string() }}) as exchange,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        (
            {%- for column in ['open', 'high', 'low', 'close', 'volume', 'value'] %}
            coalesce(not {{ is_finite_number(column) }}, false) or
            {%- endfor %}
            (volume is not null and {{ integer_or_null('volume') }} is null)
        ) as has_non_finite_value,
        coalesce(volume != floor(volume), false) as has_fractional_volume
    from {{ relation }}
{%- endmacro %}
