"""Loading the same parsed rows into BigQuery: a load job into a staging table, then one MERGE.

`strategy-engine load --target dev|prod` parses every file exactly as the DuckDB path does (so a bad
file fails before anything is sent), then for market data:

1. uploads the rows as CSV with an explicit schema (load job, WRITE_TRUNCATE) into a staging table
   `_load_market_data_<id>` next to the source table; load jobs are free, streaming is not;
2. counts inserted / replaced / unchanged rows and lists the replaced keys with one SELECT that
   reads only the target's partitions between the first and last incoming date;
3. runs one MERGE on (symbol, trade_date): new keys are inserted, keys whose values differ are
   updated (with a new loaded_at, which the incremental models watch), identical rows are left alone,
   so a re-load changes nothing;
4. drops the staging table.

Corporate actions go the same way with a MERGE on (symbol, ex_date, action). Market data and
corporate actions are two MERGEs, each atomic; a failure between them leaves the market data merged
and the corporate actions not, and re-running the same command completes the load.

Project, dataset, location, credentials and maximum_bytes_billed are read from the target in
profiles/profiles.yml through the same env vars (SE_BQ_PROJECT, ...), so the loader and dbt always
agree on where trading_data lives. google-cloud-bigquery is imported lazily and the client can be
injected (tests use a fake client and the crucible emulator).
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from strategy_engine.loading.archives import ArchiveLimits
from strategy_engine.loading.loader import COMPARED_COLUMNS, LoadReport, check_unique_keys, parse_paths
from strategy_engine.paths import PROFILES_DIR
from strategy_engine.schemas import SOURCE_SCHEMA, schema_name
from strategy_engine.source_tables import bigquery_ddl, bigquery_staging_schema

# bq_emulator: the profile's local crucible stand-in (make bigquery-emulator), same code path.
BIGQUERY_TARGETS = ("dev", "prod", "bq_emulator")
JOB_LABELS = {"app": "strategy_engine", "job": "load"}

# (column, BigQuery type) of the staging tables: the source columns but loaded_at, which the MERGE
# sets; read from the source tables' one definition (models/staging/__sources.yml).
MARKET_STAGING_SCHEMA = bigquery_staging_schema("market_data")
ACTION_STAGING_SCHEMA = bigquery_staging_schema("corporate_actions")
# The values that decide whether a stored row is the same as an incoming one (as on DuckDB).
MARKET_COMPARED = COMPARED_COLUMNS
MARKET_KEY = ("symbol", "trade_date")
ACTION_KEY = ("symbol", "ex_date", "action")

_ENV_VAR = re.compile(r"\{\{\s*env_var\('([A-Z0-9_]+)'(?:\s*,\s*'([^']*)')?\)\s*(\|\s*int\s*)?\}\}")


@dataclass(frozen=True)
class BigQueryTarget:
    """Where and how to load: one BigQuery output of profiles/profiles.yml, env vars resolved."""

    name: str
    project: str
    dataset: str
    location: str
    method: str
    keyfile: str | None
    maximum_bytes_billed: int | None
    api_endpoint: str | None = None
    token: str | None = None

    def schema(self, custom_schema: str) -> str:
        """The dataset dbt builds `custom_schema` (trading_data, strategy_data, ...) into on this
        target: the same name, or <dataset>_<name> on dev, by generate_schema_name's rule
        (strategy_engine/schemas.py)."""
        return schema_name(custom_schema, self.name, self.dataset)

    @property
    def source_dataset(self) -> str:
        return self.schema(SOURCE_SCHEMA)

    def table(self, name: str) -> str:
        return f"{self.project}.{self.source_dataset}.{name}"


def _resolve(value: Any, environ: Mapping[str, str]) -> Any:
    """A profile value with each `{{ env_var('X', 'default') [| int] }}` resolved; other values as they are."""
    if not isinstance(value, str) or "{{" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name not in environ and default is None:
            raise ValueError(f"profiles.yml needs env var {name}")
        return environ.get(name, default or "")

    resolved = _ENV_VAR.sub(substitute, value.strip())
    if "{{" in resolved or "{%" in resolved:
        raise ValueError(f"profiles.yml value {value!r} is more than env_var(...), which the loader cannot resolve")
    whole = _ENV_VAR.fullmatch(value.strip())
    return int(resolved) if whole is not None and whole.group(3) else resolved


def read_target(
    name: str, profiles_dir: Path = PROFILES_DIR, environ: Mapping[str, str] | None = None,
) -> BigQueryTarget:
    """The BigQuery target `name` of the strategy_engine profile, read as dbt reads it."""
    environ = os.environ if environ is None else environ
    profile = yaml.safe_load((Path(profiles_dir) / "profiles.yml").read_text())["strategy_engine"]
    output = profile["outputs"].get(name)
    if output is None or output.get("type") != "bigquery":
        raise ValueError(f"target {name!r} is not a BigQuery output of profiles/profiles.yml")
    values = {key: _resolve(value, environ) for key, value in output.items()}
    return BigQueryTarget(
        name=name,
        project=str(values["project"]),
        dataset=str(values["dataset"]),
        location=str(values.get("location") or "US"),
        method=str(values.get("method", "oauth")),
        keyfile=str(values["keyfile"]) if values.get("keyfile") else None,
        maximum_bytes_billed=int(values["maximum_bytes_billed"]) if values.get("maximum_bytes_billed") else None,
        api_endpoint=str(values["api_endpoint"]) if values.get("api_endpoint") else None,
        token=str(values["token"]) if values.get("token") else None,
    )


def make_client(target: BigQueryTarget) -> Any:
    """A google-cloud-bigquery client with the profile's credentials (oauth: application default)."""
    from google.cloud import bigquery

    if target.method == "oauth-secrets":
        from google.api_core.client_options import ClientOptions
        from google.oauth2.credentials import Credentials

        options = ClientOptions(api_endpoint=target.api_endpoint) if target.api_endpoint else None
        return bigquery.Client(project=target.project, location=target.location,
                               credentials=Credentials(target.token), client_options=options)
    if target.method == "service-account":
        if not target.keyfile:
            raise ValueError("method service-account needs SE_BQ_KEYFILE (path of the key file)")
        return bigquery.Client.from_service_account_json(
            target.keyfile, project=target.project, location=target.location,
        )
    if target.method != "oauth":
        raise ValueError(f"the loader supports methods oauth, service-account and oauth-secrets, not {target.method!r}")
    return bigquery.Client(project=target.project, location=target.location)


# -- CSV for the load job -------------------------------------------------------------------------

def _csv_value(value: Any, kind: str) -> str:
    """One cell as BigQuery's CSV loader reads it: empty is NULL, floats positional, dates ISO."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if kind == "DATE":
        return pd.Timestamp(value).date().isoformat()
    if kind == "INT64":
        return str(int(value))
    if kind == "FLOAT64":
        # unique=True: the shortest digits that read back as the same 64-bit float, never exponents
        return np.format_float_positional(float(value), unique=True, trim="-")
    return str(value)


def frame_to_csv(frame: pd.DataFrame, schema: Iterable[tuple[str, str]]) -> bytes:
    """The frame's schema columns as header-less CSV (every value checked by the parsers already)."""
    columns = list(schema)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in frame[[name for name, _ in columns]].itertuples(index=False, name=None):
        writer.writerow([_csv_value(value, kind) for value, (_, kind) in zip(row, columns, strict=True)])
    return buffer.getvalue().encode("utf-8")


# -- SQL --------------------------------------------------------------------------------------------

def _quoted(table: str) -> str:
    return f"`{table}`"


def _date_literal(day: date) -> str:
    return f"date '{day.isoformat()}'"


def _same_values(left: str, right: str, columns: Iterable[str]) -> str:
    return " and ".join(f"{left}.{c} is not distinct from {right}.{c}" for c in columns)


def classify_sql(target_table: str, staging_table: str, first_day: date, last_day: date) -> str:
    """One row per incoming key that already exists: its symbol, date and whether it changed.

    Reads only the target's partitions between the first and last incoming date.
    """
    return f"""
select incoming.symbol, incoming.trade_date, {_same_values('stored', 'incoming', MARKET_COMPARED)} as unchanged
from {_quoted(staging_table)} as incoming
inner join {_quoted(target_table)} as stored
    on stored.symbol = incoming.symbol and stored.trade_date = incoming.trade_date
where stored.trade_date between {_date_literal(first_day)} and {_date_literal(last_day)}
order by incoming.symbol, incoming.trade_date
""".strip()


def merge_market_sql(target_table: str, staging_table: str, first_day: date, last_day: date) -> str:
    """Insert new (symbol, trade_date) keys, update changed ones, leave identical rows alone."""
    columns = [name for name, _ in MARKET_STAGING_SCHEMA]
    updated = ", ".join(f"{c} = incoming.{c}" for c in columns if c not in MARKET_KEY)
    return f"""
merge {_quoted(target_table)} as stored
using {_quoted(staging_table)} as incoming
on stored.symbol = incoming.symbol and stored.trade_date = incoming.trade_date
    and stored.trade_date between {_date_literal(first_day)} and {_date_literal(last_day)}
when matched and not ({_same_values('stored', 'incoming', MARKET_COMPARED)}) then
    update set {updated}, loaded_at = current_timestamp()
when not matched then
    insert ({', '.join(columns)}, loaded_at)
    values ({', '.join(f'incoming.{c}' for c in columns)}, current_timestamp())
""".strip()


def merge_actions_sql(target_table: str, staging_table: str) -> str:
    """Insert new (symbol, ex_date, action) keys; a different price_factor replaces the stored row."""
    columns = [name for name, _ in ACTION_STAGING_SCHEMA]
    updated = ", ".join(f"{c} = incoming.{c}" for c in columns if c not in ACTION_KEY)
    on = " and ".join(f"stored.{c} = incoming.{c}" for c in ACTION_KEY)
    return f"""
merge {_quoted(target_table)} as stored
using {_quoted(staging_table)} as incoming
on {on}
when matched and stored.price_factor is distinct from incoming.price_factor then
    update set {updated}, loaded_at = current_timestamp()
when not matched then
    insert ({', '.join(columns)}, loaded_at)
    values ({', '.join(f'incoming.{c}' for c in columns)}, current_timestamp())
""".strip()


def source_table_ddl(target: BigQueryTarget) -> list[str]:
    """The source dataset and tables, as macros/warehouse/create_source_tables.sql creates them
    (both read models/staging/__sources.yml)."""
    return bigquery_ddl(f"`{target.project}`.{target.source_dataset}", target.location)


# -- jobs -------------------------------------------------------------------------------------------

class BigQueryLoader:
    """Runs the load jobs and MERGEs of one `strategy-engine load --target dev|prod` call."""

    def __init__(self, target: BigQueryTarget, client: Any) -> None:
        self.target = target
        self.client = client

    def query(self, sql: str) -> Any:
        """Run one statement to completion; the finished job (rows via .result())."""
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(labels=JOB_LABELS)
        if self.target.maximum_bytes_billed:
            config.maximum_bytes_billed = self.target.maximum_bytes_billed
        job = self.client.query(sql, job_config=config, location=self.target.location)
        job.result()
        return job

    def load_staging(self, frame: pd.DataFrame, schema: tuple[tuple[str, str], ...], name: str) -> str:
        """Upload `frame` into a new staging table by a load job; returns the table id."""
        from google.cloud import bigquery

        staging_table = self.target.table(f"_load_{name}_{uuid.uuid4().hex[:12]}")
        config = bigquery.LoadJobConfig(
            schema=[bigquery.SchemaField(column, kind, mode="NULLABLE") for column, kind in schema],
            source_format=bigquery.SourceFormat.CSV,
            write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
            create_disposition=bigquery.CreateDisposition.CREATE_IF_NEEDED,
            labels=JOB_LABELS,
        )
        job = self.client.load_table_from_file(
            io.BytesIO(frame_to_csv(frame, schema)), staging_table, job_config=config,
            location=self.target.location,
        )
        job.result()
        return staging_table

    def drop(self, table: str) -> None:
        self.client.delete_table(table, not_found_ok=True)

    def ensure_source_tables(self) -> None:
        for statement in source_table_ddl(self.target):
            self.query(statement)

    def write_market_data(self, market: pd.DataFrame, report: LoadReport) -> None:
        if market.empty:
            return
        check_unique_keys(market)
        days = pd.to_datetime(market["trade_date"])
        first_day, last_day = days.min().date(), days.max().date()
        target_table = self.target.table("market_data")
        staging_table = self.load_staging(market, MARKET_STAGING_SCHEMA, "market_data")
        try:
            existing = [
                (row[0], str(row[1]), bool(row[2]))
                for row in self.query(classify_sql(target_table, staging_table, first_day, last_day)).result()
            ]
            replaced = [(symbol, day) for symbol, day, unchanged in existing if not unchanged]
            job = self.query(merge_market_sql(target_table, staging_table, first_day, last_day))
        finally:
            self.drop(staging_table)
        report.inserted += len(market) - len(existing)
        report.replaced += len(replaced)
        report.unchanged += len(existing) - len(replaced)
        report.replaced_keys += replaced
        merged = getattr(job, "num_dml_affected_rows", None)
        if merged is not None and merged != len(market) - len(existing) + len(replaced):
            # another writer touched the same keys between the SELECT and the MERGE
            report.notes.append(
                f"MERGE changed {merged} market_data row(s), the counts above expected "
                f"{len(market) - len(existing) + len(replaced)}"
            )

    def write_corporate_actions(self, actions: pd.DataFrame, report: LoadReport) -> None:
        if actions.empty:
            return
        staging_table = self.load_staging(actions, ACTION_STAGING_SCHEMA, "corporate_actions")
        try:
            job = self.query(merge_actions_sql(self.target.table("corporate_actions"), staging_table))
        finally:
            self.drop(staging_table)
        report.corporate_actions += int(getattr(job, "num_dml_affected_rows", None) or 0)


def load_paths_bigquery(
    paths: Iterable[Path], fmt: str = "auto", target: BigQueryTarget | str = "dev", client: Any | None = None,
    limits: ArchiveLimits | None = None,
) -> LoadReport:
    """Parse every file (nothing is sent if any is bad), then load jobs and MERGEs into BigQuery."""
    market, actions, files, skipped_non_equity = parse_paths(paths, fmt, limits)
    report = LoadReport(
        files=files, rows_read=len(market) + len(actions) + skipped_non_equity, skipped_non_equity=skipped_non_equity,
    )
    if not market.empty:
        check_unique_keys(market)
    resolved = read_target(target) if isinstance(target, str) else target
    loader = BigQueryLoader(resolved, client if client is not None else make_client(resolved))
    loader.ensure_source_tables()
    loader.write_market_data(market, report)
    loader.write_corporate_actions(actions, report)
    return report
