"""Mart `positions`: the position state per (strategy, param set, symbol) as of each day's close.

Entries and exits must strictly alternate and exits can be forced by holding time (and trailing
stops): a path-dependent state machine with no exact window-function form, so it runs here, one
call of the pure function strategy_engine.positions.run_positions per (strategy, param set, symbol).

- DuckDB: in-process; pandas frame in, one call per group, pandas frame out.
- BigQuery: Dataproc Serverless (configured in dbt_project.yml); Spark groups the rows and applies
  the same per-group function with applyInPandas.
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
]
OUTPUT_SCHEMA = (
    "strategy_id string, param_set_id string, symbol string, trade_date date, close_price double, "
    "in_position boolean, holding_days bigint, entry_date date, signal_type string, exit_reason string, "
    "stop_level double"
)


def positions_for_group(group):
    """One (strategy, param set, symbol): sort by date, run the state machine, keep the output columns."""
    import pandas as pd

    from strategy_engine.positions import OUTPUT_COLUMNS, run_positions

    ordered = group.sort_values("trade_date", kind="stable")
    decided, _ = run_positions(ordered, max_holding_days=int(ordered["max_holding_days"].iloc[0]))
    out = decided[[*GROUP, "trade_date", "close_price", *OUTPUT_COLUMNS]].copy()
    out["trade_date"] = pd.to_datetime(out["trade_date"]).dt.date
    out["entry_date"] = pd.to_datetime(out["entry_date"]).dt.date
    return out


def model(dbt, session):
    import pandas as pd

    dbt.config(materialized="table")
    candidates = dbt.ref("int_strategy_candidates")
    if dbt.config.get("target_type") == "bigquery":
        grouped = candidates.select(*INPUT_COLUMNS).groupBy(*GROUP)
        return grouped.applyInPandas(positions_for_group, schema=OUTPUT_SCHEMA)
    frame = candidates.select(", ".join(INPUT_COLUMNS)).df()
    pieces = [positions_for_group(group) for _, group in frame.groupby(GROUP, sort=True)]
    if not pieces:
        return pd.DataFrame(columns=[name.split()[0] for name in OUTPUT_SCHEMA.split(", ")])
    return pd.concat(pieces, ignore_index=True)
