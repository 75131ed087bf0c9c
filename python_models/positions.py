"""Mart `positions`: the position state per (strategy, param set, symbol) as of each day's close.

Entries and exits must strictly alternate and exits can be forced by holding time (and trailing
stops): a path-dependent state machine with no exact window-function form, so it runs here, one
call of the pure function strategy_engine.positions.run_positions per (strategy, param set, symbol).

- DuckDB, first build or --full-refresh: every group from its first row.
- DuckDB, incremental: the pre_hook (positions.yml) has deleted the groups whose candidates were
  rewritten on or before their last stored day; those and new groups run from their first row,
  every other group continues from the state stored on its last row with only its new days.
- BigQuery: Dataproc Serverless (configured in dbt_project.yml); Spark groups the rows and applies
  the same per-group function with applyInPandas (always every row; the merge on the unique key
  makes that equal to a full refresh).
Each row carries the computed_at of the candidate it was decided from, so a row that is written
again with the same inputs keeps its timestamp and `signals` only re-reads what changed.
"""

GROUP = ["strategy_id", "param_set_id", "symbol"]
INPUT_COLUMNS = [
    *GROUP,
    "trade_date",
    "close_price",
    "is_entry_candidate",
    "is_exit_candidate",
    "max_holding_days",
    "stop_candidate",
    "computed_at",
]
OUTPUT_SCHEMA = (
    "strategy_id string, param_set_id string, symbol string, trade_date date, close_price double, "
    "in_position boolean, holding_days bigint, entry_date date, signal_type string, exit_reason string, "
    "stop_level double, computed_at timestamp"
)
STATE_COLUMNS = ["in_position", "holding_days", "entry_date", "stop_level"]
# OUTPUT_SCHEMA (Spark names) as DuckDB types; computed_at keeps DuckDB's current_timestamp type.
DUCKDB_TYPES = {"string": "varchar", "timestamp": "timestamptz"}


def _schema():
    return [tuple(column.split()) for column in OUTPUT_SCHEMA.split(", ")]


def _output(decided):
    """The mart's columns of decided rows, dates as DATE and signal columns as text."""
    import pandas as pd

    from strategy_engine.positions import OUTPUT_COLUMNS

    out = decided[[*GROUP, "trade_date", "close_price", *OUTPUT_COLUMNS, "computed_at"]].copy()
    out["trade_date"] = pd.to_datetime(out["trade_date"]).dt.date
    out["entry_date"] = pd.to_datetime(out["entry_date"]).dt.date
    # Never an untyped all-NULL column: pandas would hand the warehouse an integer column.
    out["exit_reason"] = out["exit_reason"].astype("string")
    out["signal_type"] = out["signal_type"].astype("string")
    return out


def positions_for_group(group):
    """One (strategy, param set, symbol) from its first row (Spark's applyInPandas)."""
    from strategy_engine.positions import run_positions

    ordered = group.sort_values("trade_date", kind="stable")
    decided, _ = run_positions(ordered, max_holding_days=int(ordered["max_holding_days"].iloc[0]))
    return _output(decided)


def _new_rows_and_states(session, candidates, this):
    """Candidate rows after each group's last stored day (all rows of groups not stored) and the
    state stored on each continued group's last row."""
    from strategy_engine.positions import state_from_stored

    group_match = " and ".join(f"candidates.{c} = last_stored.{c}" for c in GROUP)
    last_match = " and ".join(f"stored.{c} = last_days.{c}" for c in GROUP)
    last_stored_rows = f"""
        select {", ".join(f"stored.{c}" for c in GROUP)}, stored.trade_date as last_date,
               {", ".join(f"stored.{c}" for c in STATE_COLUMNS)}
        from {this} as stored
        inner join (
            select {", ".join(GROUP)}, max(trade_date) as last_date from {this} group by {", ".join(GROUP)}
        ) as last_days on {last_match} and stored.trade_date = last_days.last_date
    """
    new_rows = candidates.query(
        "candidates",
        f"""
        select {", ".join(f"candidates.{c}" for c in INPUT_COLUMNS)}
        from candidates
        left join ({last_stored_rows}) as last_stored on {group_match}
        where last_stored.last_date is null or candidates.trade_date > last_stored.last_date
        """,
    )
    stored = session.sql(last_stored_rows).df()
    states = {
        tuple(row[c] for c in GROUP): state_from_stored(*(row[c] for c in STATE_COLUMNS))
        for row in stored.to_dict("records")
    }
    return new_rows, states


# Symbols decided per pandas batch on DuckDB: the candidates of every strategy and day of 2,000
# symbols x 20 years (40M+ rows) do not fit in memory as one DataFrame; 100 symbols x 20 years of
# four strategies are about 2M rows.
SYMBOLS_PER_BATCH = 100
BATCH_TABLE = "positions_decided_batches"


def _typed(session, frame):
    """The decided rows as a DuckDB relation typed as OUTPUT_SCHEMA (an all-NULL pandas column has no type)."""
    return session.from_df(frame).project(
        ", ".join(f"cast({name} as {DUCKDB_TYPES.get(kind, kind)}) as {name}" for name, kind in _schema())
    )


def model(dbt, session):
    from strategy_engine.positions import run_positions_by_group

    candidates = dbt.ref("int_strategy_candidates")
    if dbt.config.get("target_type") == "bigquery":
        grouped = candidates.select(*INPUT_COLUMNS).groupBy(*GROUP)
        return grouped.applyInPandas(positions_for_group, schema=OUTPUT_SCHEMA)
    if dbt.is_incremental:
        new_rows, states = _new_rows_and_states(session, candidates, dbt.this)
        # Computed once into a temp table: each batch below filters it again.
        new_rows.create_view(f"{BATCH_TABLE}_new_rows", replace=True)
        session.execute(f"create or replace temp table {BATCH_TABLE}_input as select * from {BATCH_TABLE}_new_rows")
        to_decide = session.table(f"{BATCH_TABLE}_input")
    else:
        to_decide, states = candidates.select(", ".join(INPUT_COLUMNS)), {}
    columns = ", ".join(f"{name} {DUCKDB_TYPES.get(kind, kind)}" for name, kind in _schema())
    session.execute(f"create or replace temp table {BATCH_TABLE} ({columns})")
    symbols = sorted(row[0] for row in to_decide.query("to_decide", "select distinct symbol from to_decide").fetchall())
    for first in range(0, len(symbols), SYMBOLS_PER_BATCH):
        batch = symbols[first:first + SYMBOLS_PER_BATCH]
        frame = to_decide.filter(f"symbol in ({_quoted(batch)})").df()
        _typed(session, _output(run_positions_by_group(frame, GROUP, states))).insert_into(BATCH_TABLE)
    return session.table(BATCH_TABLE)


def _quoted(values):
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)
