-- noqa: disable=LT02
-- (sqlfluff mis-reads the indentation of SQL generated inside this Jinja-only macro.)
{#-
    delete_readjusted_symbols(corporate_actions): a pre_hook of the incremental int_market_data_adjusted. On
    an incremental run it deletes every adjusted row of each symbol whose stored adjustment no longer
    matches its corporate actions, so that the model's select adjusts the symbol again from its
    first row:

        readjust symbol s  <=>  | stored adjustment_factor - prod(price_factor of s's actions with
                               ex_date > trade_date) | > 1e-12 * stored adjustment_factor
                               (a corporate action that arrived, changed or went away re-adjusts
                               the whole history)

    It reads only the adjusted rows of symbols with an action or a factor other than 1; the
    tolerance keeps a product summed in another order from readjusting a symbol every run (a real
    action changes the factor by far more). A changed, re-loaded or vanished input row is the other
    pre_hook's (delete_replayed_groups on base_market_data_checked, by run stamps).
    Renders nothing on a first run or --full-refresh.
-#}
{% macro delete_readjusted_symbols(corporate_actions) -%}
    {%- if is_incremental() %}
        delete from {{ this }}
        where symbol in (
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
