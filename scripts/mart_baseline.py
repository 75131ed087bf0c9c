"""Issue 15 "nothing changes in the results": a compact baseline of every mart built on the sample.

The baseline (tests/fixtures/mart_baseline.json) holds, for every model in the marts schema of the
manifest (the recorded file also holds int_strategy_candidates, an intermediate model when it was
recorded, since renamed to the mart strategy_candidates), its key, its row count and
a fingerprint of every column's values with the rows sorted by that key. Run stamps (computed_at,
generated_at, ...) are left out: they differ per run.

- A text, date, integer or boolean column: one md5 of its values in key order. Any change fails.
- A float column: its values printed to 10 significant digits, in blocks of rows; per block an md5
  of those digits, and two Kahan sums of the finite values (plain and position-weighted); plus one
  md5 of where the column holds null, NaN or +-inf. A block whose md5 matches is equal. Where it
  does not, the block's sums must agree within 1e-11 of the block's sum of |values|: a last-bit
  change from a reordered computation that happens to cross a 10-digit rounding boundary passes,
  a real change of one value by more than about 1e-11 x (block rows) relative fails.

tests/python/test_mart_baseline.py rebuilds the sample and compares with this file; it never
rewrites it. To record it again (only when a result is meant to change, and say so in the commit):

    .venv/bin/python scripts/mart_baseline.py                   # builds the sample in a temp dir
    .venv/bin/python scripts/mart_baseline.py --warehouse W --manifest target/manifest.json
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from strategy_engine.schemas import MARTS_SCHEMA

PROJECT_DIR = Path(__file__).resolve().parents[1]
BASELINE_PATH = PROJECT_DIR / "tests" / "fixtures" / "mart_baseline.json"
MART_SCHEMA = MARTS_SCHEMA
# Columns stamped with the time of the run that wrote the row, never a result.
RUN_STAMPS = frozenset({"computed_at", "generated_at", "indicators_computed_at", "loaded_at", "created_at"})
FLOAT_TYPES = frozenset({"DOUBLE", "FLOAT", "REAL"})
SIGNIFICANT_DIGITS = 10
# At most this many blocks per float column (at least MIN_BLOCK_ROWS rows each): keeps the file small.
MAX_BLOCKS = 32
MIN_BLOCK_ROWS = 1024
RELATIVE_TOLERANCE = 1e-11
HASH_CHARS = 16


@dataclass(frozen=True)
class Source:
    """Where to read one baseline relation now: `sql` yields the key and compared columns under
    their baseline names."""

    sql: str
    key: tuple[str, ...]
    columns: Mapping[str, str]  # baseline column name -> current DuckDB type


def all_models(manifest: Mapping) -> dict[str, tuple[str, str]]:
    """Model name -> (schema, relation name) for every model of the manifest."""
    return dict(sorted((node["name"], (node["schema"], node["alias"] or node["name"]))
                       for node in manifest["nodes"].values() if node["resource_type"] == "model"))


def mart_models(manifest: Mapping) -> dict[str, tuple[str, str]]:
    """Model name -> (schema, relation name) for every mart, from the manifest."""
    return {name: where for name, where in all_models(manifest).items()
            if where[0] == MART_SCHEMA}


def model_key(manifest: Mapping, name: str) -> tuple[str, ...]:
    """The columns that identify a row: the model's unique_combination test, else its unique_key,
    else a column with a unique test; () when none (the rows are then sorted by every column)."""
    unique_column = None
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata") or {}
        if node["resource_type"] != "test" or node.get("attached_node") != f"model.{node['package_name']}.{name}":
            continue
        if meta.get("name") == "unique_combination":
            return tuple(meta["kwargs"]["columns"])
        if meta.get("name") == "unique":
            unique_column = node["column_name"]
    model = next(node for node in manifest["nodes"].values()
                 if node["resource_type"] == "model" and node["name"] == name)
    unique_key = model["config"].get("unique_key")
    if unique_key:
        return tuple([unique_key] if isinstance(unique_key, str) else unique_key)
    return (unique_column,) if unique_column else ()


def column_types(con: duckdb.DuckDBPyConnection, schema: str, relation: str) -> dict[str, str]:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position", [schema, relation]
    ).fetchall()
    return {name: kind for name, kind in rows}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _is_float(kind: str) -> bool:
    return kind.upper() in FLOAT_TYPES


def block_rows(row_count: int) -> int:
    return max(MIN_BLOCK_ROWS, math.ceil(row_count / MAX_BLOCKS))


def fingerprint(con: duckdb.DuckDBPyConnection, source: Source, size: int | None = None) -> dict:
    """The baseline entry of one relation: key, row count and per-column fingerprints, float
    columns in blocks of `size` rows (by default chosen from the row count)."""
    row_count = con.execute(f"select count(*) from ({source.sql})").fetchone()[0]
    size = size or block_rows(row_count)
    order = ", ".join(_quote(column) for column in (source.key or tuple(source.columns)))
    ordered = f"select *, row_number() over (order by {order}) - 1 as __row from ({source.sql})"
    floats = [name for name, kind in source.columns.items() if _is_float(kind)]
    exact = [name for name in source.columns if name not in floats]
    digits = SIGNIFICANT_DIGITS - 1

    def md5(expression: str) -> str:
        return f"left(md5(string_agg({expression}, '|' order by __row)), {HASH_CHARS})"

    whole = [md5(f"coalesce(cast({_quote(name)} as varchar), '~')") for name in exact]
    whole += [md5(f"case when {_quote(name)} is null then 'n' when isnan({_quote(name)}) then 'a' "
                  f"when isinf({_quote(name)}) then 'i' else '' end") for name in floats]
    columns: dict[str, dict] = {}
    if whole:
        values = con.execute(f"select {', '.join(whole)} from ({ordered})").fetchone()
        for name, value in zip(exact + floats, values, strict=True):
            columns[name] = {"kind": "exact", "md5": value or ""} if name in exact else {
                "kind": "float", "special_md5": value or "", "blocks": []}
    if floats and row_count:
        parts = []
        for name in floats:
            column = _quote(name)
            finite = f"case when isfinite({column}) then {column} end"
            printed = (f"case when {column} = 0 then '0' when isfinite({column}) "
                       f"then printf('%.{digits}e', {column}) else coalesce(cast({column} as varchar), '~') end")
            parts += [md5(printed), f"fsum({finite})", f"fsum({finite} * (((__row * 7919) % 2001) - 1000) / 1000.0)"]
        blocks = con.execute(f"select {', '.join(parts)} from ({ordered}) group by __row // {size} "
                             f"order by __row // {size}").fetchall()
        for block in blocks:
            for index, name in enumerate(floats):
                md5_value, total, weighted = block[3 * index: 3 * index + 3]
                columns[name]["blocks"].append([md5_value, _short(total), _short(weighted)])
    return {"key": list(source.key), "row_count": row_count, "block_rows": size,
            "columns": {name: columns[name] for name in source.columns}}


def _short(value: float | None) -> float:
    return float(f"{value or 0.0:.15g}")


def block_sum_of_magnitudes(con: duckdb.DuckDBPyConnection, source: Source, column: str, size: int) -> list[float]:
    """Per block, the sum of |finite values|: the scale a block's sums are compared at."""
    order = ", ".join(_quote(name) for name in (source.key or tuple(source.columns)))
    quoted = _quote(column)
    rows = con.execute(
        f"select fsum(case when isfinite({quoted}) then abs({quoted}) end) from "
        f"(select *, row_number() over (order by {order}) - 1 as __row from ({source.sql})) "
        f"group by __row // {size} order by __row // {size}").fetchall()
    return [row[0] or 0.0 for row in rows]


def compare(name: str, recorded: Mapping, current: Mapping, con: duckdb.DuckDBPyConnection,
            source: Source) -> list[str]:
    """Differences between a relation's recorded and current fingerprint, one message each
    naming the relation and column; [] when the values are the same."""
    if recorded["row_count"] != current["row_count"]:
        return [f"{name}: {current['row_count']} rows, recorded {recorded['row_count']}"]
    problems = []
    for column, want in recorded["columns"].items():
        got = current["columns"].get(column)
        if got is None:
            problems.append(f"{name}.{column}: column gone")
        elif want["kind"] != got["kind"]:
            problems.append(f"{name}.{column}: now a {got['kind']} column, recorded {want['kind']}")
        elif want["kind"] == "exact":
            if want["md5"] != got["md5"]:
                problems.append(f"{name}.{column}: values differ")
        elif want["special_md5"] != got["special_md5"]:
            problems.append(f"{name}.{column}: null/NaN/inf in other rows than recorded")
        else:
            problems += _compare_blocks(f"{name}.{column}", recorded["block_rows"], want, got, con, source, column)
    return problems


def _compare_blocks(label: str, size: int, want: Mapping, got: Mapping, con: duckdb.DuckDBPyConnection,
                    source: Source, column: str) -> list[str]:
    pairs = list(zip(want["blocks"], got["blocks"], strict=True))
    if all(old[0] == new[0] for old, new in pairs):
        return []
    scales = block_sum_of_magnitudes(con, source, column, size)
    bad = []
    for index, ((_, total, weighted), (_, new_total, new_weighted)) in enumerate(pairs):
        limit = RELATIVE_TOLERANCE * scales[index]
        if abs(total - new_total) > limit or abs(weighted - new_weighted) > limit:
            bad.append(index)
    if not bad:
        return []
    first = bad[0] * size
    return [f"{label}: values differ beyond {RELATIVE_TOLERANCE:g} relative in {len(bad)} of {len(pairs)} blocks "
            f"of {size} rows in key order, first in rows {first}-{first + size - 1}"]


def recorded_source(con: duckdb.DuckDBPyConnection, schema: str, relation: str, key: tuple[str, ...]) -> Source:
    """A relation as it is now, every column but the run stamps."""
    columns = {name: kind for name, kind in column_types(con, schema, relation).items() if name not in RUN_STAMPS}
    unknown_stamps = [name for name, kind in columns.items() if "TIME" in kind.upper()]
    if unknown_stamps:
        raise ValueError(f"{relation}: timestamp columns {unknown_stamps} are neither run stamps nor known data")
    return Source(f"select * from {_quote(schema)}.{_quote(relation)}", key, columns)


def current_source(con: duckdb.DuckDBPyConnection, models_now: Mapping[str, tuple[str, str]], name: str,
                   recorded: Mapping, relation_renames: Mapping[str, str],
                   column_renames: Mapping[tuple[str, str], str],
                   moved_columns: Mapping[tuple[str, str], tuple[str, str]]) -> Source:
    """Where the baseline relation `name` is read now (models_now: every model of the current
    manifest, all_models()), its columns under their baseline names:
    the relation renamed (relation_renames), its columns renamed (column_renames, keyed by the
    baseline relation and column), and columns moved to another model (moved_columns), which are
    read from that model joined on the baseline key. A column found nowhere is left out (the
    comparison reports it gone)."""
    schema, relation = models_now[relation_renames.get(name, name)]
    types = column_types(con, schema, relation)

    def now(column: str) -> str:
        return column_renames.get((name, column), column)

    key = tuple(recorded["key"])
    missing_key = [column for column in key if now(column) not in types]
    if missing_key:
        raise KeyError(f"{name}: key columns {missing_key} not found in {schema}.{relation}; map their renames")
    selects, columns, joins = [], {}, []
    for column in recorded["columns"]:
        if (name, column) in moved_columns:
            other_model, other_column = moved_columns[(name, column)]
            other_schema, other_relation = models_now[other_model]
            alias = f"moved_{len(joins)}"
            on = " and ".join(f"current.{_quote(now(part))} = {alias}.{_quote(now(part))}" for part in key)
            joins.append(f"left join {_quote(other_schema)}.{_quote(other_relation)} as {alias} on {on}")
            selects.append(f"{alias}.{_quote(other_column)} as {_quote(column)}")
            columns[column] = column_types(con, other_schema, other_relation)[other_column]
        elif now(column) in types:
            selects.append(f"current.{_quote(now(column))} as {_quote(column)}")
            columns[column] = types[now(column)]
    for column in key:
        if column not in columns:
            selects.append(f"current.{_quote(now(column))} as {_quote(column)}")
    sql = (f"select {', '.join(selects)} from {_quote(schema)}.{_quote(relation)} as current "
           + " ".join(joins))
    return Source(sql, key, columns)


def record(warehouse: Path, manifest_path: Path, path: Path = BASELINE_PATH) -> dict:
    manifest = json.loads(manifest_path.read_text())
    relations = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for name, (schema, relation) in mart_models(manifest).items():
            relations[name] = fingerprint(con, recorded_source(con, schema, relation, model_key(manifest, name)))
            print(f"{name}: {relations[name]['row_count']} rows, {len(relations[name]['columns'])} columns")
    baseline = {"about": "Recorded by scripts/mart_baseline.py on the bundled sample; see its docstring.",
                "significant_digits": SIGNIFICANT_DIGITS, "relations": relations}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_dump(baseline))
    return baseline


def _dump(baseline: Mapping) -> str:
    """JSON with one line per column, so a re-record shows as a readable diff."""
    lines = ["{", f' "about": {json.dumps(baseline["about"])},',
             f' "significant_digits": {baseline["significant_digits"]},', ' "relations": {']
    relation_items = list(baseline["relations"].items())
    for position, (name, entry) in enumerate(relation_items):
        lines.append(f"  {json.dumps(name)}: {{\"key\": {json.dumps(entry['key'])}, "
                     f"\"row_count\": {entry['row_count']}, \"block_rows\": {entry['block_rows']}, \"columns\": {{")
        column_items = list(entry["columns"].items())
        for index, (column, value) in enumerate(column_items):
            comma = "," if index < len(column_items) - 1 else ""
            lines.append(f"   {json.dumps(column)}: {json.dumps(value, separators=(',', ':'))}{comma}")
        lines.append("  }}" + ("," if position < len(relation_items) - 1 else ""))
    lines += [" }", "}"]
    return "\n".join(lines) + "\n"


def load(path: Path = BASELINE_PATH) -> dict:
    return json.loads(path.read_text())


def build_sample(root: Path) -> tuple[Path, Path]:
    """Load the bundled sample into a fresh DuckDB file under root and build every model (no tests).
    Returns the warehouse and the manifest."""
    import os

    from strategy_engine.dbt_invoke import run_dbt
    from strategy_engine.loading import load_paths
    from strategy_engine.paths import SAMPLE_MARKET_DATA
    from strategy_engine.warehouse import connect

    warehouse = root / "warehouse.duckdb"
    previous = os.environ.get("SE_DUCKDB_PATH")
    os.environ["SE_DUCKDB_PATH"] = str(warehouse)
    try:
        with connect(warehouse) as con:
            load_paths(con, [SAMPLE_MARKET_DATA])
        outcome = run_dbt(["build", "--exclude-resource-type", "test"], target_path=str(root / "target"))
    finally:
        if previous is None:
            os.environ.pop("SE_DUCKDB_PATH", None)
        else:
            os.environ["SE_DUCKDB_PATH"] = previous
    if not outcome.success:
        raise RuntimeError(f"dbt build failed: {outcome.error or outcome.failures}")
    return warehouse, root / "target" / "manifest.json"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, help="a DuckDB file with the sample built in full")
    parser.add_argument("--manifest", type=Path, help="the manifest.json of that build")
    parser.add_argument("--output", type=Path, default=BASELINE_PATH)
    arguments = parser.parse_args()
    if (arguments.warehouse is None) != (arguments.manifest is None):
        parser.error("--warehouse and --manifest go together")
    if arguments.warehouse:
        record(arguments.warehouse, arguments.manifest, arguments.output)
    else:
        with tempfile.TemporaryDirectory() as directory:
            record(*build_sample(Path(directory)), arguments.output)
    print(f"wrote {arguments.output}")
