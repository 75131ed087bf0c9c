-- noqa: disable=LT02
-- (sqlfluff mis-reads the indentation of SQL generated inside this Jinja-only macro.)
{#-
    delete_replayed_portfolios(upstream, portfolio_symbol, date_column, watermark_column): the
    pre_hook of a model that stores per (strategy_id, param_set_id) both member rows (one group per
    symbol) and a portfolio row computed from every member of the same day (equity_curve). It
    deletes the stored portfolio rows of every (strategy_id, param_set_id) whose portfolio must be
    recomputed from its first day. It must run before delete_replayed_groups removes the members:

        replay portfolio (s, p)  <=>  some upstream row of (s, p), any symbol, dated on or before the
                                      portfolio's last stored date has upstream.computed_at newer
                                      than the portfolio's watermark (a member replayed: late
                                      corporate action, corrected price; or a symbol appeared with
                                      history), or (s, p) has no upstream row at all (disabled),
                                  or  a stored member has no upstream row on or before its last
                                      stored date (the symbol vanished from the data)

    The portfolio's benchmark (the equal-weight universe) reads every symbol's prices; a changed
    price replays that symbol's upstream rows in every (s, p), so it is covered by the first rule.
      upstream          relation with strategy_id, param_set_id, symbol, trade_date, computed_at
      portfolio_symbol  the symbol value of the portfolio rows
      date_column       the model's date column
      watermark_column  the model's run stamp (or its copy of the upstream computed_at)
    Does nothing unless the run is incremental.
-#}
{% macro delete_replayed_portfolios(upstream, portfolio_symbol='__PORTFOLIO__', date_column='trade_date', watermark_column='computed_at') %}
    {%- if not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {#- The upstream's first day of every (strategy_id, param_set_id, symbol), aggregated once: "no
        upstream row on or before the last stored date" is "its first day is later, or it has
        none", for the portfolio (over its symbols) and for each member. The newer rows are looked
        for only among the upstream rows newer than the oldest portfolio watermark (in a daily run
        the rows written since; DuckDB skips older row groups by their computed_at range). A range
        join of every portfolio with all its upstream rows cost a pass over millions of joined rows. #}
    delete from {{ this }}
    where
        symbol = '{{ portfolio_symbol }}'
        and {{ dbt.concat(['strategy_id', "'|'", 'param_set_id']) }} in (
            with upstream_firsts as (
                select
                    strategy_id,
                    param_set_id,
                    symbol,
                    min(trade_date) as first_date
                from {{ upstream }}
                group by strategy_id, param_set_id, symbol
            ),

            portfolio as (
                select
                    strategy_id,
                    param_set_id,
                    max({{ date_column }}) as last_date,
                    max({{ watermark_column }}) as watermark
                from {{ this }}
                where symbol = '{{ portfolio_symbol }}'
                group by strategy_id, param_set_id
            )

            select {{ dbt.concat(['portfolio.strategy_id', "'|'", 'portfolio.param_set_id']) }}
            from portfolio
            left join (
                select
                    strategy_id,
                    param_set_id,
                    min(first_date) as first_date
                from upstream_firsts
                group by strategy_id, param_set_id
            ) as upstream_sets
                on
                    upstream_sets.strategy_id = portfolio.strategy_id
                    and upstream_sets.param_set_id = portfolio.param_set_id
            where
                upstream_sets.first_date is null
                or upstream_sets.first_date > portfolio.last_date
                or portfolio.watermark is null
            union all
            select {{ dbt.concat(['portfolio.strategy_id', "'|'", 'portfolio.param_set_id']) }}
            from portfolio
            inner join (
                select *
                from {{ upstream }}
                where computed_at > (
                    select min({{ watermark_column }})
                    from {{ this }}
                    where symbol = '{{ portfolio_symbol }}'
                )
            ) as upstream
                on
                    upstream.strategy_id = portfolio.strategy_id
                    and upstream.param_set_id = portfolio.param_set_id
                    and upstream.trade_date <= portfolio.last_date
                    and upstream.computed_at > portfolio.watermark
            union all
            select {{ dbt.concat(['member.strategy_id', "'|'", 'member.param_set_id']) }}
            from (
                select
                    strategy_id,
                    param_set_id,
                    symbol,
                    max({{ date_column }}) as last_date
                from {{ this }}
                where symbol != '{{ portfolio_symbol }}'
                group by strategy_id, param_set_id, symbol
            ) as member
            left join upstream_firsts
                on
                    upstream_firsts.strategy_id = member.strategy_id
                    and upstream_firsts.param_set_id = member.param_set_id
                    and upstream_firsts.symbol = member.symbol
            where
                upstream_firsts.first_date is null
                or upstream_firsts.first_date > member.last_date
        )
{% endmacro %}
