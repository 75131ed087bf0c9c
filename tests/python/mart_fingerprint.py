"""A compact fingerprint of every mart on the bundled sample, to prove a change keeps their values.

Small marts are kept row by row; the large ones (indicators, path indicators, positions, equity
curve) as per-group aggregates: for every numeric column the non-null count, the sum and a sum
weighted by the day (so values moved to another day show), and for text columns an md5 of the
values in date order. Run stamps (computed_at, generated_at, ...) are left out: they differ per run.

    python tests/python/mart_fingerprint.py --record <warehouse.duckdb>   # rewrite the fixture
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

FIXTURE_DIR = Path(__file__).resolve().parent / "fixtures" / "mart_fingerprint"
RUN_STAMPS = {"computed_at", "generated_at", "indicators_computed_at", "loaded_at"}
SIGNAL_GROUP = ["strategy_id", "param_set_id", "symbol"]
# Columns renamed since the fixture was recorded, per mart {old name: new name} (docs/SIGNALS.md,
# "Signal days and fill days"): a fingerprint names them as recorded, so values are still compared.
RENAMED_COLUMNS = {
    "signals": {"entry_date": "entry_signal_date", "holding_days": "days_since_entry_signal"},
    "positions": {"entry_date": "entry_signal_date", "holding_days": "days_since_entry_signal"},
}


@dataclass(frozen=True)
class Mart:
    relation: str
    keys: tuple[str, ...]
    # None: every row; else the columns to aggregate by, and the date column ordering the rows
    group_by: tuple[str, ...] | None = None
    date_column: str = "trade_date"


MARTS = {
    "indicators": Mart("strategy_data.indicators", ("symbol", "trade_date"), ("symbol",)),
    "path_indicators": Mart("strategy_data.path_indicators", ("symbol", "trade_date"), ("symbol",)),
    "positions": Mart("strategy_data.positions", (*SIGNAL_GROUP, "trade_date"), tuple(SIGNAL_GROUP)),
    "equity_curve": Mart("strategy_data.equity_curve", (*SIGNAL_GROUP, "trade_date"), tuple(SIGNAL_GROUP)),
    "signals": Mart("strategy_data.signals", (*SIGNAL_GROUP, "signal_date")),
    "trades": Mart("strategy_data.trades", (*SIGNAL_GROUP, "entry_date")),
    "performance": Mart("strategy_data.performance", (*SIGNAL_GROUP, "window")),
    "walk_forward": Mart("strategy_data.walk_forward", ("strategy_id", "symbol", "oos_window")),
    "strategy_param_sets": Mart("strategy_data.strategy_param_sets", ("strategy_id", "param_set_id")),
    "daily_signal_digest": Mart("strategy_data.daily_signal_digest",
                                ("digest_date", "strategy_id", "param_set_id", "signal_type")),
    "data_quality_warnings": Mart("strategy_data.data_quality_warnings", ()),
    "market_data_rejected": Mart("strategy_data.market_data_rejected", ()),
}


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    schema, table = relation.split(".")
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position", [schema, table]
    ).fetchall()
    return [(name, kind) for name, kind in rows if name not in RUN_STAMPS]


def _numeric(kind: str) -> bool:
    return kind.upper() in {"DOUBLE", "FLOAT", "REAL", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT",
                            "BOOLEAN"} or kind.upper().startswith("DECIMAL")


def _aggregate_sql(mart: Mart, columns: list[tuple[str, str]]) -> str:
    groups = list(mart.group_by or ())
    day = f"(date_diff('day', date '2000-01-01', {mart.date_column}) / 1000.0)"
    parts = [*groups, "count(*) as row_count"]
    for name, kind in columns:
        if name in groups:
            continue
        quoted = f'"{name}"'
        if _numeric(kind):
            value = f"cast({quoted} as double)"
            parts += [f"count({quoted}) as \"{name}__count\"", f"sum({value}) as \"{name}__sum\"",
                      f"sum({value} * {day}) as \"{name}__day_weighted\""]
        else:
            parts.append(f"md5(string_agg(coalesce(cast({quoted} as varchar), '~'), '|' "
                         f"order by {mart.date_column})) as \"{name}__md5\"")
    return f"select {', '.join(parts)} from {mart.relation} group by {', '.join(groups)} order by {', '.join(groups)}"


def fingerprint(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    prints = {}
    for name, mart in MARTS.items():
        columns = _columns(con, mart.relation)
        if mart.group_by:
            sql = _aggregate_sql(mart, columns)
        else:
            selected = ", ".join(f'"{column}"' for column, _ in columns)
            order = ", ".join(f'"{key}"' for key in mart.keys) or selected
            sql = f"select {selected} from {mart.relation} order by {order}"
        prints[name] = _recorded_names(name, con.execute(sql).df())
    return prints


def _recorded_names(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with renamed columns (and their aggregates, `<column>__sum` ...) under their old names."""
    old_of = {new: old for old, new in RENAMED_COLUMNS.get(name, {}).items()}

    def recorded_name(column: str) -> str:
        base, separator, aggregate = column.partition("__")
        return f"{old_of.get(base, base)}{separator}{aggregate}"

    return frame.rename(columns=recorded_name)


def record(warehouse: Path, directory: Path = FIXTURE_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for name, frame in fingerprint(con).items():
            frame.to_parquet(directory / f"{name}.parquet", compression="zstd", index=False)
            print(f"{name}: {len(frame)} rows, {len(frame.columns)} columns")


def recorded(directory: Path = FIXTURE_DIR) -> dict[str, pd.DataFrame]:
    return {path.stem: pd.read_parquet(path) for path in sorted(directory.glob("*.parquet"))}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", type=Path, required=True, metavar="WAREHOUSE",
                        help="a DuckDB file with the sample built in full")
    record(parser.parse_args().record)
