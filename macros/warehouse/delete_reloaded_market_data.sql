-- noqa: disable=LT02
-- (sqlfluff mis-reads the indentation of the Jinja loops inside this SQL-emitting macro.)
{#-
    delete_reloaded_market_data(source_relation, compared_columns): the pre_hook of the incremental
    base_market_data_checked. On an incremental run it deletes the stored checked rows that may no
    longer be what a full refresh would compute, so that the model's select (the input rows whose
    key is not stored) recomputes them:

        delete every row of symbol s  <=>  a stored key of s has no input row any more, or its input
                                           row differs in a compared column, or the key has more than
                                           one input row or stored copy (duplicates are re-judged
                                           together), or it was rejected as future_date (current_date
                                           has moved on since)
        delete every row with a NULL symbol or trade_date (no key to compare them by)

    Input keys without a stored row (a new day) delete nothing: the select adds them. The comparison
    is a hash join of the stored rows with the input rows plus a count of input rows per key, with no
    window and no sort, and it does not trust loaded_at: a row rewritten in place is found too. (A
    stored key with one copy that now has two input rows is caught by the count, even when the new
    copy is identical.) Keys are compared after typing and
    normalisation (typed_market_data), as the model stores them.
    Renders nothing on a first run or --full-refresh.
-#}
{% macro delete_reloaded_market_data(source_relation, compared_columns) -%}
    {%- if is_incremental() %}
        delete from {{ this }}
        where
            symbol is null
            or trade_date is null
            or symbol in (
                select typed.symbol
                from ({{ typed_market_data(source_relation) }}) as typed
                group by typed.symbol, typed.trade_date
                having count(*) > 1
                union all
                select stored.symbol
                from {{ this }} as stored
                left join ({{ typed_market_data(source_relation) }}) as loaded
                    on
                        stored.symbol = loaded.symbol
                        and stored.trade_date = loaded.trade_date
                where
                    stored.symbol is not null
                    and stored.trade_date is not null
                    and (
                        loaded.symbol is null
                        or stored.copies != 1
                        or stored.reject_reason = 'future_date'
                        {%- for column in compared_columns %}
                        or stored.{{ column }} is distinct from loaded.{{ column }}
                        {%- endfor %}
                    )
            )
    {%- endif -%}
{%- endmacro %}
