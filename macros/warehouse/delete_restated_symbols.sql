-- noqa: disable=LT02
-- (sqlfluff mis-reads the indentation of the Jinja loops inside this SQL-emitting macro.)
{#-
    delete_restated_symbols: a pre_hook for incremental per-symbol models. On an incremental run it
    deletes every stored row of each symbol whose stored history no longer matches its upstream
    rows up to the symbol's last stored date: a value that changed (a corrected price, a corporate
    action that arrived late and re-adjusted the history), a row that appeared (a late day) or
    disappeared. The model's select then sees those symbols as new and recomputes them from their
    first row, so the result equals a full refresh; every other symbol only gets its new days.
    On a first run or --full-refresh it renders nothing.
    upstream: the relation the stored columns were copied from; compared_columns: columns stored
    unchanged from it (compared with IS DISTINCT FROM, so NULLs compare equal).
-#}
{% macro delete_restated_symbols(upstream, compared_columns, date_column='trade_date') -%}
    {%- if is_incremental() %}
        delete from {{ this }}
        where symbol in (
            select coalesce(current_rows.symbol, stored.symbol)
            from (
                select
                    upstream_rows.symbol,
                    upstream_rows.{{ date_column }}
                    {%- for column in compared_columns %},
                    upstream_rows.{{ column }}
                    {%- endfor %}
                from {{ upstream }} as upstream_rows
                inner join (
                    select
                        symbol,
                        max({{ date_column }}) as last_stored_date
                    from {{ this }}
                    group by symbol
                ) as last_stored
                    on
                        upstream_rows.symbol = last_stored.symbol
                        and upstream_rows.{{ date_column }} <= last_stored.last_stored_date
            ) as current_rows
            full outer join {{ this }} as stored
                on
                    current_rows.symbol = stored.symbol
                    and current_rows.{{ date_column }} = stored.{{ date_column }}
            where
                current_rows.symbol is null
                or stored.symbol is null
                {%- for column in compared_columns %}
                or current_rows.{{ column }} is distinct from stored.{{ column }}
                {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}
