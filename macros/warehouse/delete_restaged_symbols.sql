-- noqa: disable=LT02
-- (sqlfluff mis-reads the indentation of the Jinja loops inside this SQL-emitting macro.)
{#-
    delete_restaged_symbols(checked, corporate_actions): the pre_hook of the incremental
    stg_market_data. On an incremental run it deletes every staged row of each symbol whose staged
    history is no longer what a full refresh would stage, so that the model's select (accepted rows
    whose key is not stored) stages the symbol again from its first row:

        restage symbol s  <=>  a staged key of s is no longer accepted in `checked` (the row was
                               deleted or is now rejected), or a raw value copied from it differs
                               (a corrected or re-loaded row), or
                               | stored adjustment_factor - prod(price_factor of s's actions with
                               ex_date > trade_date) | > 1e-12 * stored adjustment_factor
                               (a corporate action that arrived, changed or went away re-adjusts
                               the whole history)

    Accepted keys without a staged row (a new day) restage nothing: the select adds them. The factor
    check reads only the staged rows of symbols with an action or a factor other than 1; the
    tolerance keeps a product summed in another order from restaging a symbol every run (a real
    action changes the factor by far more). Downstream, the restaged rows carry the new adjusted
    prices that delete_restated_symbols compares with.
    Renders nothing on a first run or --full-refresh.
-#}
{% macro delete_restaged_symbols(checked, corporate_actions) -%}
    {%- set copied_columns = [
        ('raw_open', 'open'), ('raw_high', 'high'), ('raw_low', 'low'), ('raw_close', 'close'),
        ('raw_volume', 'volume'), ('traded_value', 'traded_value'), ('trades', 'trades'),
        ('series', 'series'), ('exchange', 'exchange'), ('source_file', 'source_file'),
        ('loaded_at', 'loaded_at'),
    ] -%}
    {%- if is_incremental() %}
        delete from {{ this }}
        where symbol in (
            select stored.symbol
            from {{ this }} as stored
            left join (
                select * from {{ checked }}
                where reject_reason is null
            ) as accepted
                on
                    stored.symbol = accepted.symbol
                    and stored.trade_date = accepted.trade_date
            where
                accepted.symbol is null
                {%- for staged_column, checked_column in copied_columns %}
                or stored.{{ staged_column }} is distinct from accepted.{{ checked_column }}
                {%- endfor %}
            union all
            select adjusted.symbol
            from (
                select
                    stored.symbol,
                    stored.trade_date,
                    stored.adjustment_factor,
                    coalesce(exp(sum(ln(actions.price_factor))), 1.0) as expected_factor
                from {{ this }} as stored
                left join {{ corporate_actions }} as actions
                    on
                        stored.symbol = actions.symbol
                        and stored.trade_date < actions.ex_date
                where
                    stored.adjustment_factor != 1.0
                    or stored.symbol in (select symbol from {{ corporate_actions }})
                group by stored.symbol, stored.trade_date, stored.adjustment_factor
            ) as adjusted
            where abs(adjusted.expected_factor - adjusted.adjustment_factor) > 1e-12 * adjusted.adjustment_factor
        )
    {%- endif -%}
{%- endmacro %}
