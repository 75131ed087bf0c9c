"""Mart `positions`: the position state per (strategy, param set, symbol) as of each day's close.

Entries and exits must strictly alternate and exits can be forced by holding time (and trailing
stops): a path-dependent state machine with no exact window-function form, so it runs here, as the
numba-compiled pure function of strategy_compute.positions over every (strategy, param set, symbol).

- DuckDB: batches of whole symbols (at most ROWS_PER_BATCH rows) are read as Arrow columns, only
  numeric ones (the groups are numbered in a small temp table, their keys travel as dictionaries),
  sorted by group and date, decided in one call of decide_table, and appended to a temp table.
- DuckDB, first build or --full-refresh: every group from its first row.
- DuckDB, incremental: the pre_hook (positions.yml) has deleted the groups whose candidates were
  rewritten on or before their last stored day; those and new groups run from their first row,
  every other group continues from the state stored on its last row with only its new days.
  Those rows are read without scanning either whole table (_new_rows_bounded: the candidates newer
  than the newest stored stamp, the stored rows of the last two weeks), checked by row counts,
  else found by the full lookup (_new_rows_with_stored_state).
- BigQuery: Dataproc Serverless (configured in dbt_project.yml); Spark groups the rows and applies
  the same machine per group (run_positions, its pandas interface) with applyInPandas (always
  every row; the merge on the unique key makes that equal to a full refresh).
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
    "in_position boolean, days_since_entry_signal bigint, entry_signal_date date, signal_type string, "
    "exit_reason string, stop_level double, computed_at timestamp"
)
# The state machine's column names (strategy_compute.positions) that the mart names otherwise:
# positions knows no fills, so its entry day and day count are the entry SIGNAL's, named as in
# signals; trades' entry_date and holding_days are the fill day and the days from the fill.
MART_NAMES = {"holding_days": "days_since_entry_signal", "entry_date": "entry_signal_date"}
# The state stored on a group's last row, by the state machine's names (read back as stored_<name>).
STATE_COLUMNS = ["in_position", "holding_days", "entry_date", "stop_level"]
# OUTPUT_SCHEMA (Spark names) as DuckDB types; computed_at keeps DuckDB's current_timestamp type.
DUCKDB_TYPES = {"string": "varchar", "timestamp": "timestamptz"}


def _stored_state(alias: str = "") -> str:
    """The stored state columns of the mart under the state machine's names (`alias.` prefixed)."""
    return ", ".join(f"{alias}{MART_NAMES.get(c, c)} as {c}" for c in STATE_COLUMNS)


def _schema():
    return [tuple(column.split()) for column in OUTPUT_SCHEMA.split(", ")]


def _output(decided):
    """The mart's columns of decided rows, dates as DATE and signal columns as text (Spark)."""
    import pandas as pd

    from strategy_compute.positions import OUTPUT_COLUMNS

    out = decided[[*GROUP, "trade_date", "close_price", *OUTPUT_COLUMNS, "computed_at"]].copy()
    out["trade_date"] = pd.to_datetime(out["trade_date"]).dt.date
    out["entry_date"] = pd.to_datetime(out["entry_date"]).dt.date
    # Never an untyped all-NULL column: pandas would hand the warehouse an integer column.
    out["exit_reason"] = out["exit_reason"].astype("string")
    out["signal_type"] = out["signal_type"].astype("string")
    return out.rename(columns=MART_NAMES)


def positions_for_group(group):
    """One (strategy, param set, symbol) from its first row (Spark's applyInPandas)."""
    from strategy_compute.positions import run_positions

    ordered = group.sort_values("trade_date", kind="stable")
    decided, _ = run_positions(ordered, max_holding_days=int(ordered["max_holding_days"].iloc[0]))
    return _output(decided)


def _new_rows_with_stored_state(candidates, this):
    """Candidate rows after each group's last stored day (all rows of groups not stored), each with
    the state stored on its group's last row as the stored_* columns (NULL for groups not stored)."""
    group_match = " and ".join(f"candidates.{c} = last_stored.{c}" for c in GROUP)
    last_match = " and ".join(f"stored.{c} = last_days.{c}" for c in GROUP)
    last_stored_rows = f"""
        select {", ".join(f"stored.{c}" for c in GROUP)}, stored.trade_date as last_date,
               {_stored_state("stored.")}
        from {this} as stored
        inner join (
            select {", ".join(GROUP)}, max(trade_date) as last_date from {this} group by {", ".join(GROUP)}
        ) as last_days on {last_match} and stored.trade_date = last_days.last_date
    """
    return candidates.query(
        "candidates",
        f"""
        select {", ".join(f"candidates.{c}" for c in INPUT_COLUMNS)},
               {", ".join(f"last_stored.{c} as stored_{c}" for c in STATE_COLUMNS)}
        from candidates
        left join ({last_stored_rows}) as last_stored on {group_match}
        where last_stored.last_date is null or candidates.trade_date > last_stored.last_date
        """,
    )


# A continued group's last stored row is looked for among the stored rows of this many calendar
# days before the latest first new candidate day of any group (more than a gap between trading
# sessions); a group whose last row is older, or that is not stored, is looked up in the whole table.
LAST_ROW_WINDOW_DAYS = 14
NEWER_TABLE = "positions_newer_candidates"
LAST_ROWS_TABLE = "positions_last_stored_rows"
FIRST_NEW_TABLE = "positions_first_new_days"


def _new_rows_bounded(session, candidates, this):
    """The rows of _new_rows_with_stored_state without reading either whole table, or None when
    this cannot be shown for the stored tables (then the full lookup runs).

    The rows to decide are the candidates newer than the newest stored computed_at: every stored
    row of a group carries the computed_at of a candidate it was decided from, and a run decides
    every candidate row there is, so a candidate not decided yet was written by a later run (a
    later run stamp; a replayed group is rewritten and deleted here by the pre_hook). That is
    checked by counting: the stored rows plus the rows to decide must be every candidate row (a
    stored row per candidate up to its group's last stored day), else the full lookup runs.
    computed_at is one stamp per run, so DuckDB skips the row groups of older runs by their range.
    The stored state is read from the stored rows of the last days before each group's first new day.
    """
    watermark, stored_rows = session.sql(f"select max(computed_at), count(*) from {this}").fetchall()[0]
    if watermark is None:
        return None
    # A literal (not a subquery) so that the scan filters by it and skips old row groups.
    stamp = f"cast('{watermark.isoformat(sep=' ')}' as timestamptz)"
    candidates.query(
        "candidates",
        f"select {', '.join(INPUT_COLUMNS)} from candidates where computed_at > {stamp}",
    ).create_view(f"{NEWER_TABLE}_view", replace=True)
    session.execute(f"create or replace temp table {NEWER_TABLE} as select * from {NEWER_TABLE}_view")
    (candidate_rows,) = candidates.query("candidates", "select count(*) from candidates").fetchall()[0]
    group_columns = ", ".join(GROUP)
    session.execute(f"""
        create or replace temp table {FIRST_NEW_TABLE} as
        select {group_columns}, min(trade_date) as first_new_date from {NEWER_TABLE} group by {group_columns}
    """)
    # The latest first new day is a continued group's (a replayed or new group starts at its first
    # row); groups whose first new day is much earlier are looked up in full below.
    (latest_first,) = session.sql(f"select max(first_new_date) from {FIRST_NEW_TABLE}").fetchall()[0]
    session.execute(f"""
        create or replace temp table {LAST_ROWS_TABLE} as
        with
        first_new as (select * from {FIRST_NEW_TABLE}),
        recent as (
            select {group_columns}, trade_date, {_stored_state()}
            from {this}
            where trade_date >= cast('{latest_first}' as date) - {LAST_ROW_WINDOW_DAYS}
                and trade_date < cast('{latest_first}' as date)
        ),
        last_days as (
            select {", ".join(f"recent.{c}" for c in GROUP)}, max(recent.trade_date) as last_date
            from recent
            inner join first_new
                on {" and ".join(f"recent.{c} = first_new.{c}" for c in GROUP)}
                and recent.trade_date < first_new.first_new_date
            group by {", ".join(f"recent.{c}" for c in GROUP)}
        )
        select recent.*
        from recent
        inner join last_days
            on {" and ".join(f"recent.{c} = last_days.{c}" for c in GROUP)}
            and recent.trade_date = last_days.last_date
    """) if latest_first is not None else session.execute(
        f"create or replace temp table {LAST_ROWS_TABLE} as "
        f"select {group_columns}, trade_date, {_stored_state()} from {this} where false")
    # Groups to decide without a stored row in that window: new or replayed groups, or a group
    # whose last stored row is older (a long suspension): their last rows from the whole table.
    missing = f"""
        select distinct {", ".join(f"newer.{c}" for c in GROUP)}
        from {NEWER_TABLE} as newer
        anti join {LAST_ROWS_TABLE} as found on {" and ".join(f"newer.{c} = found.{c}" for c in GROUP)}
    """
    if session.sql(f"select count(*) from ({missing})").fetchall()[0][0]:
        session.execute(f"""
            insert into {LAST_ROWS_TABLE}
            select {", ".join(f"stored.{c}" for c in GROUP)}, stored.trade_date,
                   {_stored_state("stored.")}
            from {this} as stored
            inner join (
                select {", ".join(f"stored.{c}" for c in GROUP)}, max(stored.trade_date) as last_date
                from {this} as stored
                semi join ({missing}) as missing on {" and ".join(f"stored.{c} = missing.{c}" for c in GROUP)}
                group by {", ".join(f"stored.{c}" for c in GROUP)}
            ) as last_days
                on {" and ".join(f"stored.{c} = last_days.{c}" for c in GROUP)}
                and stored.trade_date = last_days.last_date
        """)
    rows = session.sql(f"""
        select {", ".join(f"newer.{c}" for c in INPUT_COLUMNS)},
               {", ".join(f"last_stored.{c} as stored_{c}" for c in STATE_COLUMNS)}
        from {NEWER_TABLE} as newer
        left join {LAST_ROWS_TABLE} as last_stored on {" and ".join(f"newer.{c} = last_stored.{c}" for c in GROUP)}
        where last_stored.trade_date is null or newer.trade_date > last_stored.trade_date
    """)
    rows.create_view(f"{INPUT_TABLE}_view", replace=True)
    session.execute(f"create or replace temp table {INPUT_TABLE} as select * from {INPUT_TABLE}_view")
    (to_decide,) = session.sql(f"select count(*) from {INPUT_TABLE}").fetchall()[0]
    return INPUT_TABLE if stored_rows + to_decide == candidate_rows else None


# Candidate rows decided per Arrow batch on DuckDB (whole symbols, so whole groups): the
# candidates of every strategy and day of 2,000 symbols x 20 years (40M+ rows) do not fit in
# memory at once; a batch holds 2M rows of numeric columns (about 100 MB in and out).
ROWS_PER_BATCH = 2_000_000
BATCH_TABLE = "positions_decided_batches"
GROUPS_TABLE = "positions_groups"
INPUT_TABLE = "positions_input"


def _numbered_groups(session, to_decide):
    """A temp table numbering the groups in (symbol, strategy, param set) order, with their row
    counts; returns it as Arrow. A batch is then a range of group numbers (whole symbols), and the
    group keys travel to Python and back only as these few rows (dictionaries of the key columns)."""
    session.execute(f"""
        create or replace temp table {GROUPS_TABLE} as
        select row_number() over (order by symbol, strategy_id, param_set_id) - 1 as group_number,
               {", ".join(GROUP)}, row_count
        from (select {", ".join(GROUP)}, count(*) as row_count from {to_decide} group by {", ".join(GROUP)})
    """)
    return session.sql(f"select * from {GROUPS_TABLE} order by group_number").to_arrow_table()


def _batches(groups):
    """[first, end) ranges of group numbers holding at most ROWS_PER_BATCH rows, whole symbols each."""
    symbols = groups.column("symbol").to_pylist()
    row_counts = groups.column("row_count").to_pylist()
    first, rows = 0, 0
    for number, (symbol, row_count) in enumerate(zip(symbols, row_counts, strict=True)):
        new_symbol = number > 0 and symbol != symbols[number - 1]
        if new_symbol and rows + row_count > ROWS_PER_BATCH and number > first:
            yield first, number
            first, rows = number, 0
        rows += row_count
    if len(symbols) > first:
        yield first, len(symbols)


def _output_schema():
    import pyarrow as pa

    # Dictionary columns arrive in DuckDB as VARCHAR.
    key, label = pa.dictionary(pa.int32(), pa.string()), pa.dictionary(pa.int8(), pa.string())
    return pa.schema([
        ("strategy_id", key), ("param_set_id", key), ("symbol", key), ("trade_date", pa.date32()),
        ("close_price", pa.float64()), ("in_position", pa.bool_()), ("days_since_entry_signal", pa.int64()),
        ("entry_signal_date", pa.date32()), ("signal_type", label), ("exit_reason", label),
        ("stop_level", pa.float64()), ("computed_at", pa.timestamp("us", tz="UTC")),
    ])


def _decided_batches(session, to_decide, state_columns):
    """The mart's rows, one Arrow batch per range of groups: only numeric columns are read into
    Python, decided by the compiled state machine, and written back with the group keys as
    dictionary columns (their values from the small groups table)."""
    import numpy as np
    import pyarrow as pa

    from strategy_compute.positions import decide_table

    machine_name = {mart: machine for machine, mart in MART_NAMES.items()}

    groups = _numbered_groups(session, to_decide)
    schema = _output_schema()
    group_match = " and ".join(f"candidates.{c} = numbered.{c}" for c in GROUP)
    for first, end in _batches(groups):
        candidates = session.sql(f"""
            select numbered.group_number,
                   {", ".join(f"candidates.{c}" for c in INPUT_COLUMNS if c not in GROUP)}
                   {"".join(f", candidates.{c}" for c in state_columns)}
            from {to_decide} as candidates
            inner join {GROUPS_TABLE} as numbered on {group_match}
            where numbered.group_number >= {first} and numbered.group_number < {end}
            order by numbered.group_number, candidates.trade_date
        """).to_arrow_table()
        decided = decide_table(candidates, ["group_number"])
        indices = pa.array((decided.column("group_number").to_numpy() - first).astype(np.int32))
        keys = {c: pa.DictionaryArray.from_arrays(indices, groups.column(c).slice(first, end - first).combine_chunks())
                for c in GROUP}
        yield pa.RecordBatch.from_arrays(
            [keys[c] if c in keys
             else decided.column(machine_name.get(c, c)).combine_chunks().cast(schema.field(c).type)
             for c in schema.names],
            schema=schema,
        )


def model(dbt, session):
    candidates = dbt.ref("strategy_candidates")
    if dbt.config.get("target_type") == "bigquery":
        grouped = candidates.select(*INPUT_COLUMNS).groupBy(*GROUP)
        return grouped.applyInPandas(positions_for_group, schema=OUTPUT_SCHEMA)
    if dbt.is_incremental:
        # Computed once into a temp table: each batch below reads it again.
        if _new_rows_bounded(session, candidates, dbt.this) is None:
            _new_rows_with_stored_state(candidates, dbt.this).create_view(f"{INPUT_TABLE}_view", replace=True)
            session.execute(f"create or replace temp table {INPUT_TABLE} as select * from {INPUT_TABLE}_view")
        to_decide, state_columns = INPUT_TABLE, [f"stored_{c}" for c in STATE_COLUMNS]
    else:
        candidates.create_view(f"{INPUT_TABLE}_view", replace=True)
        to_decide, state_columns = f"{INPUT_TABLE}_view", []
    # Into a temp table of this connection, returned as a relation: dbt-duckdb writes anything else
    # through another cursor, which neither sees this transaction's pre_hook deletes nor can it
    # hand its table back to this transaction; one batch is in memory at a time.
    columns = ", ".join(f"{name} {DUCKDB_TYPES.get(kind, kind)}" for name, kind in _schema())
    session.execute(f"create or replace temp table {BATCH_TABLE} ({columns})")
    for batch in _decided_batches(session, to_decide, state_columns):
        session.from_arrow(batch).insert_into(BATCH_TABLE)
    return session.table(BATCH_TABLE)
