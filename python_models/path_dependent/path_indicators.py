"""Path-dependent indicators (Parabolic SAR, SuperTrend, chandelier exit) per (symbol, trade_date).

The logic lives in the pure functions of ``strategy_compute.path``; this model only reads the
adjusted prices, applies them one symbol at a time and returns the rows. The parameter sets and
their column names are the rows of int_path_indicator_columns (named there from the dbt var
``path_indicator_params`` by the macro path_indicator_columns()).

- DuckDB, first build or --full-refresh: every symbol from its first row.
- DuckDB, incremental: each symbol continues from the state stored on its last row and only its
  new rows are computed. A symbol is replayed from its first row instead when int_market_data_adjusted
  readjusted it (a late corporate action re-adjusts its history, a corrected price: a staged row
  newer than its stored rows, by run stamps) or when it is still inside a warm-up. delete+insert
  on (symbol, trade_date) then replaces exactly the rows returned.
- BigQuery: runs on Dataproc Serverless (configured in dbt_project.yml); Spark groups the rows by
  symbol and applies the same per-symbol function with ``applyInPandas`` (always every row; the
  merge on (symbol, trade_date) makes that equal to a full refresh).
"""

from datetime import UTC, datetime

PRICE_COLUMNS = ["symbol", "trade_date", "high", "low", "close"]


def _spark_model(prices, params):
    from strategy_compute.path import path_indicators

    schema = ", ".join(
        ["symbol string", "trade_date date", "high double", "low double", "close double"]
        + [f"{name} {kind}" for name, kind in params.output_columns()]
    )

    def per_symbol(frame):
        return path_indicators(frame, params)

    from pyspark.sql import functions

    computed = prices.select(*PRICE_COLUMNS).groupBy("symbol").applyInPandas(per_symbol, schema=schema)
    return computed.withColumn("computed_at", functions.current_timestamp())


def _replayed_or_new_symbols(staged, this):
    """Symbols to compute from their first row: new ones, and stored ones that int_market_data_adjusted
    readjusted (an adjusted row dated on or before the symbol's last stored day is newer than its stored
    rows) or whose last stored day is not staged any more. The rule of
    macros/warehouse/delete_replayed_groups.sql, by run stamps: only the staged rows newer than the
    oldest stored stamp are read (DuckDB skips older row groups), not the whole history. A symbol
    staged after the last successful build is newer than every stored stamp, so a new symbol is
    among them too. Rows stored before the stamp existed (no computed_at column): every symbol."""
    if "computed_at" not in staged.query("staged", f"select * from {this} limit 0").columns:
        return {row[0] for row in staged.query("staged", "select distinct symbol from staged").fetchall()}
    return {
        row[0]
        for row in staged.query(
            "staged",
            f"""
            with
            stored as (
                select symbol, max(trade_date) as last_date, max(computed_at) as watermark
                from {this}
                group by symbol
            ),
            newer as (
                select symbol, trade_date, computed_at
                from staged
                where computed_at > coalesce((select min(stored.watermark) from stored), timestamp '1900-01-01')
            )
            select stored.symbol
            from stored
            left join staged on staged.symbol = stored.symbol and staged.trade_date = stored.last_date
            where staged.symbol is null or stored.watermark is null
            union
            select newer.symbol
            from newer
            left join stored on newer.symbol = stored.symbol
            where
                stored.symbol is null
                or (newer.trade_date <= stored.last_date and newer.computed_at > stored.watermark)
            """,
        ).fetchall()
    }


# A symbol's last stored rows are looked for among the stored rows of this many calendar days
# before the newest stored day; a symbol whose tail is not all there is numbered over all its rows.
TAIL_WINDOW_DAYS = 90


def _stored_tails(session, this, tail_rows):
    """Each symbol's last `tail_rows` stored rows, with its stored row count (stored_rows) and the
    row's position from the end (rows_from_end), numbering only the stored rows of the last
    TAIL_WINDOW_DAYS days (a sort of every stored row took 0.3 s at 250 symbols x 10 years)."""
    (last_day,) = session.sql(f"select max(trade_date) from {this}").fetchall()[0]
    # A literal, so that the scan filters by it.
    recent_from = f"cast('{last_day}' as date) - {TAIL_WINDOW_DAYS}" if last_day is not None else "null"

    def numbered(where):
        return f"""
            select stored.*,
                   counts.stored_rows,
                   row_number() over (partition by stored.symbol order by stored.trade_date desc) as rows_from_end
            from {this} as stored
            inner join counts on stored.symbol = counts.symbol
            where {where}
        """

    return session.sql(f"""
        with
        counts as (select symbol, count(*) as stored_rows from {this} group by symbol),
        recent as ({numbered(f"stored.trade_date >= {recent_from}")}),
        recent_tails as (select * from recent where rows_from_end <= {tail_rows}),
        -- The symbols whose whole tail (or whole history, when shorter) is among the recent rows.
        complete as (
            select symbol from recent_tails
            group by symbol, stored_rows
            having count(*) = least(stored_rows, {tail_rows})
        ),
        -- The others, by a semi-join that ends at once when there are none (a NOT IN read every
        -- stored row: 6.7 s at 2,000 symbols x 20 years).
        incomplete as (
            select counts.symbol from counts
            left join complete on counts.symbol = complete.symbol
            where complete.symbol is null
        ),
        other_tails as (
            select * from ({numbered("stored.symbol in (select incomplete.symbol from incomplete)")}) as numbered
            where rows_from_end <= {tail_rows}
        )
        select * from recent_tails where symbol in (select complete.symbol from complete)
        union all
        select * from other_tails
    """).df()


def _incremental(session, staged, prices, this, params):
    import pandas as pd

    from strategy_compute.path import continue_path_indicators, path_indicators

    replay = _replayed_or_new_symbols(staged, this)
    tail_rows = max([2, *(c.period for c in params.chandelier_long)])
    stored_tails = _stored_tails(session, this, tail_rows)
    stored_tails = stored_tails[~stored_tails["symbol"].isin(replay)]
    new_rows = prices.query(
        "prices",
        f"""
        select {", ".join(f"prices.{c}" for c in PRICE_COLUMNS)}
        from prices
        inner join (select symbol, max(trade_date) as last_date from {this} group by symbol) as last_stored
            on prices.symbol = last_stored.symbol and prices.trade_date > last_stored.last_date
        """,
    ).df()
    continued, warming_up = continue_path_indicators(new_rows, stored_tails, params)
    replay |= warming_up
    if not replay:
        return continued
    # Only the replayed symbols' prices (not every staged row) come into pandas.
    session.register(REPLAYED_VIEW, pd.DataFrame({"symbol": sorted(replay)}))
    replayed_prices = prices.query("prices", f"select prices.* from prices inner join {REPLAYED_VIEW} using (symbol)")
    replayed = path_indicators(replayed_prices.df(), params)
    return pd.concat([replayed, continued], ignore_index=True)


# Symbols computed per batch on a DuckDB full build (whole symbols, at most ROWS_PER_BATCH rows;
# a longer symbol is a batch of its own): 10M price rows (2,000 symbols x 20 years) as one pandas
# frame, its sorted copy, the computed columns and the concatenated result held several GiB in the
# dbt process. Each batch's rows go into a temp table of this connection, returned as a relation.
ROWS_PER_BATCH = 1_000_000
PRICES_VIEW = "path_indicators_prices"
REPLAYED_VIEW = "path_indicators_replayed_symbols"
SYMBOLS_TABLE = "path_indicators_symbols"
BATCH_TABLE = "path_indicators_batches"


def _batches(row_counts):
    """[first, end) ranges of symbol numbers holding at most ROWS_PER_BATCH rows (one symbol at least)."""
    first, rows = 0, 0
    for number, row_count in enumerate(row_counts):
        if rows + row_count > ROWS_PER_BATCH and number > first:
            yield first, number
            first, rows = number, 0
        rows += row_count
    if len(row_counts) > first:
        yield first, len(row_counts)


def _full_build(session, prices, params, computed_at):
    from strategy_compute.path import path_indicators

    prices.create_view(PRICES_VIEW, replace=True)
    session.execute(f"""
        create or replace temp table {SYMBOLS_TABLE} as
        select row_number() over (order by symbol) - 1 as symbol_number, symbol, row_count
        from (select symbol, count(*) as row_count from {PRICES_VIEW} group by symbol)
    """)
    numbered_counts = session.sql(f"select row_count from {SYMBOLS_TABLE} order by symbol_number").fetchall()
    row_counts = [row[0] for row in numbered_counts]
    columns = [("symbol", "varchar"), ("trade_date", "date"), *((c, "double") for c in ["high", "low", "close"]),
               *params.output_columns(), ("computed_at", "timestamptz")]
    session.execute(f"create or replace temp table {BATCH_TABLE} ({', '.join(f'{n} {t}' for n, t in columns)})")
    for first, end in _batches(row_counts):
        batch = session.sql(f"""
            select {", ".join(f"prices.{c}" for c in PRICE_COLUMNS)}
            from {PRICES_VIEW} as prices
            inner join {SYMBOLS_TABLE} as numbered on prices.symbol = numbered.symbol
            where numbered.symbol_number >= {first} and numbered.symbol_number < {end}
        """).df()
        computed = path_indicators(batch, params)
        # By name, so the column order of the frame does not matter; DuckDB casts the pandas
        # datetime64 trade_date to the DATE column.
        session.from_df(computed).query("computed", f"""
            insert into {BATCH_TABLE} by name
            select *, cast('{computed_at.isoformat()}' as timestamptz) as computed_at from computed
        """)
    return session.table(BATCH_TABLE)


def model(dbt, session):
    from strategy_compute.path import PathIndicatorParams

    configured = dbt.ref("int_path_indicator_columns")
    on_spark = dbt.config.get("target_type") == "bigquery"
    column_rows = configured.toPandas() if on_spark else configured.df()
    params = PathIndicatorParams.from_column_rows(column_rows.to_dict("records"))
    staged = dbt.ref("int_market_data_adjusted")
    if on_spark:
        return _spark_model(staged, params)
    # The run stamp of the rows written (a Python model cannot read dbt's run_started_at): later
    # than every staged row this run read, earlier than any row a later run stages.
    computed_at = datetime.now(UTC)
    prices = staged.select(", ".join(PRICE_COLUMNS))
    if not dbt.is_incremental:
        return _full_build(session, prices, params, computed_at)
    result = _incremental(session, staged, prices, dbt.this, params)
    # DuckDB hands dates to pandas as datetime64; give them back as DATE.
    result["trade_date"] = result["trade_date"].dt.date
    result["computed_at"] = computed_at
    return result
