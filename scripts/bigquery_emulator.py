"""Run the project on a local BigQuery stand-in (`make bigquery-emulator`, part of `make test`).

Starts crucible-emulator (a DuckDB-backed BigQuery REST API, installed in its own venv
.venv-emulator because it pins duckdb 1.5; scripts/bigquery_emulator_server.py adds DELETE) on a
free 127.0.0.1 port and, against the `bq_emulator` target with --target-path
target/bigquery-emulator:

1. `dbt seed` (its on-run-start creates the source tables with their BigQuery DDL);
2. copies a few symbols of the bundled sample into the source tables, without the last
   DAILY_RUN_DAYS days;
3. copies the Python models' rows from a DuckDB build of the same symbols into the emulator:
   on BigQuery they run on Dataproc, which no emulator provides, and every SQL model downstream of
   them must still run;
4. `dbt build` of every SQL model, data test and seed (unit tests only with --unit-tests), then
   copies the last days and runs a second `dbt build`: a daily run, in which incremental models
   take their incremental path;
5. compares counts and sums with the DuckDB build, and stops the emulator by its process id.

Every HTTP call and every dbt command has a timeout: the script fails with a message, never hangs.
How rows are copied: the emulator translates every query with sqlglot, and an `insert ... values`
takes time quadratic in its rows (500 rows ~7 s: the 4,000-row inserts of the first version looked
like a hang); its CSV load jobs insert row by row (~2.5 ms a row: 100 s for the 42,000 rows of
`positions`). So the rows travel as ONE tab-separated string literal per query that the query
splits and casts (`split`, `offset`, `cast`): 40,000 rows in about a second.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from strategy_engine.schemas import SOURCE_SCHEMA

PROJECT_DIR = Path(__file__).resolve().parent.parent
EMULATOR_VENV = PROJECT_DIR / ".venv-emulator"
EMULATOR_SERVER = PROJECT_DIR / "scripts" / "bigquery_emulator_server.py"  # crucible serve + DELETE
EMULATOR_LOCK = PROJECT_DIR / "requirements-emulator.lock"  # crucible-emulator[server]==0.1.0a2
TARGET_PATH = Path("target/bigquery-emulator")
LOG_PATH = Path("logs/bigquery-emulator")
SAMPLE = Path("data/sample/nifty50_2017_2022.zip")
# Each has a corporate action in the sample (bonus issues, a split), so adjustment is exercised.
SYMBOLS = ("RELIANCE", "INFY", "EICHERMOT")
PROJECT = "strategy-engine-emulator"
SOURCE_TABLES = ("market_data", "corporate_actions")
PYTHON_MODELS = "path:python_models"
HTTP_TIMEOUT_S = 60.0
DBT_TIMEOUT_S = 600.0
HEALTH_TIMEOUT_S = 60.0
REL_TOL = 1e-9
# The first build sees the sample without its last days; they are loaded before the second build,
# which is then a daily run of every incremental model and must end equal to the full DuckDB build.
DAILY_RUN_DAYS = 5
# A corporate action that only the daily run sees (invented: the sample's real ones are seeded), so
# every incremental model must replay that symbol's whole history; the DuckDB build has it all along.
LATE_ACTION_SYMBOL = "INFY"
LATE_ACTION = f"symbol = '{LATE_ACTION_SYMBOL}' and ex_date = date '2019-06-03'"
ROWS_PER_QUERY = 10_000
# DuckDB column types of the copied tables and the BigQuery types they are loaded as.
BIGQUERY_TYPES = {
    "VARCHAR": "STRING",
    "DOUBLE": "FLOAT64",
    "FLOAT": "FLOAT64",
    "BIGINT": "INT64",
    "INTEGER": "INT64",
    "HUGEINT": "INT64",
    "SMALLINT": "INT64",
    "BOOLEAN": "BOOL",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
}
# (model, expression) compared between the DuckDB and the emulator build when the model exists
# and has the columns.
COMPARED = [
    ("stg_market_data", "count(*)"),
    ("stg_market_data", "sum(close)"),
    ("int_market_data_adjusted", "count(*)"),
    ("int_market_data_adjusted", "sum(close)"),
    ("int_market_data_adjusted", "sum(adjustment_factor)"),
    ("stg_corporate_actions", "count(*)"),
    ("market_data_rejected", "count(*)"),
    ("data_quality_warnings", "count(*)"),
    ("indicators", "count(*)"),
    ("indicators", "sum(sma_20)"),
    ("indicators", "sum(ema_200)"),
    ("indicators", "sum(rsi_14)"),
    ("indicators", "sum(macd_signal)"),
    ("indicators", "sum(atr_14)"),
    ("indicators", "sum(adx_14)"),
    ("indicators", "sum(obv)"),
    ("indicators", "sum(mfi_14)"),
    ("indicators", "sum(stoch_d)"),
    ("indicators", "sum(cci_20)"),
    ("int_cross_sectional_ranks", "count(*)"),
    ("strategy_candidates", "count(*)"),
    ("signals", "count(*)"),
    ("signals", "sum(strength)"),
    ("trades", "count(*)"),
    ("trades", "sum(net_return)"),
    ("equity_curve", "count(*)"),
    ("performance", "count(*)"),
    ("performance", "sum(total_return)"),
    ("performance", "sum(max_drawdown)"),
    ("walk_forward", "count(*)"),
    ("daily_signal_digest", "count(*)"),
    # issue 17: the ML features, labels and folds (both paths: the second build is incremental)
    ("ml_market_features", "count(*)"),
    ("ml_market_features", "sum(universe_return_1d)"),
    ("ml_market_features", "sum(universe_volatility_20)"),
    ("ml_market_features", "sum(breadth_sma_50)"),
    ("ml_market_features", "sum(session_index)"),
    ("ml_features", "count(*)"),
    ("ml_features", "sum(return_20d)"),
    ("ml_features", "sum(bollinger_percent_b)"),
    ("ml_features", "sum(return_dispersion_1d)"),
    ("ml_labels", "count(*)"),
    ("ml_labels", "sum(forward_return)"),
    ("ml_labels", "count(known_from_date)"),
    ("ml_folds", "count(*)"),
    # issue 16: portfolio weights and exposures (both paths: the second build is incremental)
    ("portfolio_weights", "count(*)"),
    ("portfolio_weights", "sum(raw_weight)"),
    ("portfolio_weights", "sum(target_weight)"),
    ("portfolio_exposures", "count(*)"),
    ("portfolio_exposures", "sum(weight)"),
]


class EmulatorError(RuntimeError):
    """A step of the emulator run failed; the message says which and why."""


STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"bigquery-emulator [{time.monotonic() - STARTED:5.0f}s]: {message}", flush=True)


def ensure_emulator() -> Path:
    """The emulator's own venv, (re)installed from its hash-pinned lock when the lock changed."""
    crucible = EMULATOR_VENV / "bin" / "crucible"
    stamp = EMULATOR_VENV / "installed-lock.sha256"
    wanted = hashlib.sha256(EMULATOR_LOCK.read_bytes()).hexdigest()
    if not crucible.exists() or not stamp.exists() or stamp.read_text() != wanted:
        log(f"installing {EMULATOR_LOCK.name} into {EMULATOR_VENV}")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(EMULATOR_VENV)], check=True, timeout=300)
        pip = str(EMULATOR_VENV / "bin" / "pip")
        subprocess.run(
            [pip, "install", "--quiet", "--require-hashes", "-r", str(EMULATOR_LOCK)], check=True, timeout=600
        )
        stamp.write_text(wanted)
    return EMULATOR_VENV / "bin" / "python"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(port: int, emulator: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if emulator.poll() is not None:
            raise EmulatorError(f"emulator exited with code {emulator.returncode} (see its log)")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_crucible/health", timeout=2) as response:
                if json.loads(response.read()).get("status") == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise EmulatorError(f"emulator not healthy on 127.0.0.1:{port} after {HEALTH_TIMEOUT_S:.0f}s")


def dbt(args: list[str], env: dict[str, str]) -> None:
    command = [str(Path(sys.executable).parent / "dbt"), *args, "--project-dir", ".", "--profiles-dir", "profiles"]
    log(" ".join(command[1:]))
    started = time.monotonic()
    try:
        result = subprocess.run(
            command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=DBT_TIMEOUT_S
        )
    except subprocess.TimeoutExpired as exc:
        raise EmulatorError(f"dbt {args[0]} did not finish within {DBT_TIMEOUT_S:.0f}s") from exc
    log(f"dbt {args[0]} exited {result.returncode} after {time.monotonic() - started:.0f}s")
    if result.returncode != 0:
        failures = [line for line in result.stdout.splitlines() if "ERROR" in line or "FAIL" in line]
        print("\n".join(failures[-40:]) or result.stdout[-6000:], file=sys.stderr)
        raise EmulatorError(f"dbt {args[0]} failed on the emulator (log: {LOG_PATH}/dbt.log)")


def payload_field(value: object) -> str:
    """One field of the tab-separated payload; the empty string stands for NULL."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # shortest round-trip spelling; nan and inf cast too
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | int):
        return str(value)
    text = str(value)
    if text == "" or any(c in text for c in "\t\n\\'"):
        raise EmulatorError(f"string {text!r} cannot be sent in the tab-separated payload")
    return text


def insert_rows_sql(table_id: str, schema: list[tuple[str, str]], rows: Sequence[tuple[Any, ...]]) -> str:
    """One `insert ... select` whose rows travel as a single string literal split in SQL."""
    payload = "\n".join("\t".join(payload_field(v) for v in row) for row in rows)
    columns = ",\n    ".join(
        f"cast(nullif(fields[offset({i})], '') as {kind}) as `{name}`" for i, (name, kind) in enumerate(schema)
    )
    return (
        f"insert into `{table_id}` ({', '.join(f'`{name}`' for name, _ in schema)})\n"
        f"select\n    {columns}\n"
        f"from (select split(line, '\\t') as fields from unnest(split('{payload}', '\\n')) as line)"
    )


def bigquery_client(port: int) -> Any:
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    return bigquery.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=f"http://127.0.0.1:{port}"),
    )


def run_query(client: Any, sql: str) -> None:
    client.query(sql, timeout=HTTP_TIMEOUT_S).result(timeout=HTTP_TIMEOUT_S)


def copy_table(
    warehouse: duckdb.DuckDBPyConnection, source: str, client: Any, table_id: str, create: bool = False
) -> int:
    """Copy a DuckDB relation (a table, or a select) into the emulator with `insert ... select`
    queries of ROWS_PER_QUERY rows (create=True first creates the table with the BigQuery types of
    the DuckDB columns)."""
    relation = warehouse.sql(source if source.startswith("select ") else f"select * from {source}")
    unknown = [t for t in map(str, relation.types) if t not in BIGQUERY_TYPES]
    if unknown:
        raise EmulatorError(f"{source}: no BigQuery type for DuckDB types {unknown}")
    schema = [(c, BIGQUERY_TYPES[str(t)]) for c, t in zip(relation.columns, relation.types, strict=True)]
    if create:
        columns = ", ".join(f"`{name}` {kind}" for name, kind in schema)
        run_query(client, f"create or replace table `{table_id}` ({columns})")
    rows = relation.fetchall()
    for start in range(0, len(rows), ROWS_PER_QUERY):
        run_query(client, insert_rows_sql(table_id, schema, rows[start : start + ROWS_PER_QUERY]))
    return len(rows)


def model_relations(manifest_path: Path) -> dict[str, dict[str, Any]]:
    manifest = json.loads(manifest_path.read_text())
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }


def compare(
    warehouse: duckdb.DuckDBPyConnection,
    client: Any,
    duck_models: dict[str, dict[str, Any]],
    bq_models: dict[str, dict[str, Any]],
) -> list[str]:
    mismatches = []
    for model, expression in COMPARED:
        if model not in duck_models or model not in bq_models:
            continue
        column = expression[4:-1] if expression.startswith("sum(") else None
        if column and column not in duck_models[model]["columns"]:
            continue
        duck_query = f"select {expression} from {duck_models[model]['schema']}.{model}"
        expected = warehouse.execute(duck_query).fetchall()[0][0]
        query = client.query(
            f"select {expression} from `{PROJECT}`.{bq_models[model]['schema']}.{model}", timeout=HTTP_TIMEOUT_S
        )
        actual = next(iter(query.result(timeout=HTTP_TIMEOUT_S)))[0]
        same = expected == actual or (
            isinstance(expected, float)
            and isinstance(actual, float)
            and (math.isclose(expected, actual, rel_tol=REL_TOL) or math.isnan(expected) and math.isnan(actual))
        )
        log(f"{model}: {expression} duckdb={expected} emulator={actual} {'ok' if same else 'MISMATCH'}")
        if not same:
            mismatches.append(f"{model} {expression}: duckdb={expected} emulator={actual}")
    return mismatches


def build_duckdb_reference(env: dict[str, str], warehouse_path: Path) -> None:
    """The same symbols built on DuckDB, Python models included (their rows are copied over)."""
    warehouse_path.unlink(missing_ok=True)
    log(f"DuckDB reference build of {', '.join(SYMBOLS)}")
    subprocess.run(
        [sys.executable, "-m", "strategy_engine", "load", str(SAMPLE)],
        cwd=PROJECT_DIR, env=env, check=True, capture_output=True, timeout=300,
    )
    with duckdb.connect(str(warehouse_path)) as warehouse:
        kept = ", ".join(f"'{symbol}'" for symbol in SYMBOLS)
        for table in SOURCE_TABLES:
            warehouse.execute(f"delete from {SOURCE_SCHEMA}.{table} where symbol not in ({kept})")
        # The sample ships no late corporate action; this one repeats the seeded EICHERMOT split so
        # that the source-table path of stg_corporate_actions runs without changing any price.
        warehouse.execute(
            f"insert into {SOURCE_SCHEMA}.corporate_actions values"
            " ('EICHERMOT', date '2020-08-24', 'split', 1, 10, 0.1, 'bigquery_emulator.py', timestamp '2026-01-01'),"
            f" ('{LATE_ACTION_SYMBOL}', date '2019-06-03', 'split', 1, 2, 0.5, 'late', timestamp '2026-01-02')"
        )
    dbt(["build", "--target", "ci", "--target-path", str(TARGET_PATH / "duckdb"), "--log-path", str(LOG_PATH)], env)


def copy_python_models(
    warehouse: duckdb.DuckDBPyConnection,
    client: Any,
    python_models: dict[str, tuple[str, str]],
    where: str,
    computed_at: datetime | None,
) -> None:
    """Stand in for the Python models (Dataproc on BigQuery) with their DuckDB rows that match
    `where`. With computed_at (a daily run), the stored rows matching `where` are replaced and the
    new ones get that computed_at, as a Dataproc run after the first build would write them."""
    for name, (source, table_id) in python_models.items():
        columns = [column for column, *_ in warehouse.execute(f"describe {source}").fetchall()]
        replace = ""
        if computed_at is not None:
            run_query(client, f"delete from `{table_id}` where {where}")
            if "computed_at" in columns:
                replace = f" replace (timestamp '{computed_at}' as computed_at)"
        rows = f"select *{replace} from {source} where {where}"
        count = copy_table(warehouse, rows, client, table_id, create=computed_at is None)
        log(f"copied Python model {name}: {count} rows ({where}) from the DuckDB build")


def run_on_emulator(port: int, env: dict[str, str], warehouse_path: Path, unit_tests: bool) -> list[str]:
    common = ["--target", "bq_emulator", "--target-path", str(TARGET_PATH), "--log-path", str(LOG_PATH)]
    dbt(["seed", *common], env)  # on-run-start creates the source tables
    client = bigquery_client(port)
    duck_models = model_relations(PROJECT_DIR / TARGET_PATH / "duckdb" / "manifest.json")
    bq_models = model_relations(PROJECT_DIR / TARGET_PATH / "manifest.json")
    python_models = {}
    for name, node in bq_models.items():
        if node.get("language") == "python":
            client.create_dataset(f"{PROJECT}.{node['schema']}", exists_ok=True, timeout=HTTP_TIMEOUT_S)
            duck = duck_models[name]
            python_models[name] = (
                f"{duck['schema']}.{duck['alias'] or name}",
                f"{PROJECT}.{node['schema']}.{node['alias'] or name}",
            )
    with duckdb.connect(str(warehouse_path), read_only=True) as warehouse:
        cutoff = warehouse.execute(
            f"select distinct trade_date from {SOURCE_SCHEMA}.market_data order by trade_date desc"
            f" limit 1 offset {DAILY_RUN_DAYS}"
        ).fetchall()[0][0]
        actions = f"{PROJECT}.{SOURCE_SCHEMA}.corporate_actions"
        rows = f"select * from {SOURCE_SCHEMA}.corporate_actions where not ({LATE_ACTION})"
        log(f"loaded {copy_table(warehouse, rows, client, actions)} rows into {actions}")
        market_data = f"{PROJECT}.{SOURCE_SCHEMA}.market_data"
        rows = f"select * from {SOURCE_SCHEMA}.market_data where trade_date <= date '{cutoff}'"
        log(f"loaded {copy_table(warehouse, rows, client, market_data)} rows into {market_data} up to {cutoff}")
        copy_python_models(warehouse, client, python_models, f"trade_date <= date '{cutoff}'", None)
    build = ["build", *common, "--exclude", PYTHON_MODELS, "--exclude-resource-type", "unit_test"]
    # Unit tests test logic, which does not depend on the warehouse, and run on DuckDB in
    # `make dbt-ci`. On the emulator they are the slow part (each indicator fixture makes the
    # emulator translate the whole indicator SQL with sqlglot several times: ~2 minutes for 11 unit
    # tests), so `make test` leaves them out; --unit-tests adds them to the first build.
    dbt(build[:-2] if unit_tests else build, env)
    incremental = sorted(
        name
        for name, node in bq_models.items()
        if node["config"]["materialized"] == "incremental" and node.get("language") == "sql"
    )
    with duckdb.connect(str(warehouse_path), read_only=True) as warehouse:
        rows = f"select * from {SOURCE_SCHEMA}.market_data where trade_date > date '{cutoff}'"
        count = copy_table(warehouse, rows, client, market_data)
        log(f"daily run: loaded the {count} rows of the {DAILY_RUN_DAYS} days after {cutoff}")
        rows = f"select * from {SOURCE_SCHEMA}.corporate_actions where {LATE_ACTION}"
        log(f"daily run: loaded {copy_table(warehouse, rows, client, actions)} late corporate action ({LATE_ACTION})")
        now = datetime.now(UTC).replace(tzinfo=None)
        replayed = f"trade_date > date '{cutoff}' or symbol = '{LATE_ACTION_SYMBOL}'"
        copy_python_models(warehouse, client, python_models, replayed, now)
    log(f"second build, incremental path of: {', '.join(incremental) or 'no model'}")
    dbt(build, env)
    with duckdb.connect(str(warehouse_path), read_only=True) as warehouse:
        return compare(warehouse, client, duck_models, bq_models)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unit-tests", action="store_true", help="also run dbt unit tests on the emulator (~2 min)")
    parser.add_argument("--install-only", action="store_true", help="only create .venv-emulator from its lock")
    args = parser.parse_args()
    if args.install_only:
        ensure_emulator()
        return 0
    started = time.monotonic()
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    env.pop("DBT_TARGET_PATH", None)
    env.pop("DBT_LOG_PATH", None)
    workdir = PROJECT_DIR / TARGET_PATH
    workdir.mkdir(parents=True, exist_ok=True)  # kept between runs: dbt's partial-parse cache
    warehouse_path = workdir / "duckdb_reference.duckdb"
    build_duckdb_reference({**env, "SE_DUCKDB_PATH": str(warehouse_path)}, warehouse_path)

    python = ensure_emulator()
    port = free_port()
    with open(workdir / "emulator.log", "wb") as emulator_log:
        emulator = subprocess.Popen(
            [python, EMULATOR_SERVER, "serve", "--dialect", "bigquery", "--host", "127.0.0.1", "--port", str(port)],
            stdout=emulator_log,
            stderr=subprocess.STDOUT,
        )
    log(f"emulator pid {emulator.pid} on 127.0.0.1:{port} (log: {TARGET_PATH}/emulator.log)")
    try:
        wait_healthy(port, emulator)
        mismatches = run_on_emulator(port, {**env, "SE_BQ_EMULATOR_PORT": str(port)}, warehouse_path, args.unit_tests)
    except Exception as exc:  # any failure (dbt, HTTP error or timeout) ends the run with its reason
        log(f"FAILED after {time.monotonic() - started:.0f}s: {type(exc).__name__}: {exc}")
        return 1
    finally:
        emulator.terminate()
        try:
            emulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            emulator.kill()
            emulator.wait(timeout=10)
        log(f"emulator pid {emulator.pid} stopped")
    for mismatch in mismatches:
        print(f"bigquery-emulator: MISMATCH {mismatch}", file=sys.stderr)
    log(f"{'FAILED' if mismatches else 'ok'} in {time.monotonic() - started:.0f}s")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
