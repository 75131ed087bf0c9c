"""The pre-market check: source freshness (dbt), expected symbols present, data-quality warnings."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date

from strategy_engine import marts
from strategy_engine.dbt_invoke import run_dbt
from strategy_engine.marts import MartReader, MissingMart
from strategy_engine.structured_log import log_event

logger = logging.getLogger("strategy_engine.validation")


@dataclass
class ValidationReport:
    day: date
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_freshness(target: str | None, report: ValidationReport) -> None:
    outcome = run_dbt(["source", "freshness", "--quiet"], target=target)
    sources_file = outcome.target_path / "sources.json"
    if not sources_file.exists():
        report.problems.append(f"source freshness could not run: {outcome.error or 'no sources.json'}")
        return
    for result in json.loads(sources_file.read_text()).get("results", []):
        name = result.get("unique_id", "?").removeprefix("source.strategy_engine.")
        status = result.get("status")
        if status in {"warn", "error", "runtime error"}:
            age_hours = (result.get("max_loaded_at_time_ago_in_s") or 0) / 3600
            report.problems.append(f"source {name} freshness {status}: last load {age_hours:.1f} h ago")
        else:
            report.notes.append(f"source {name} freshness {status}")


def check_symbols(reader: MartReader, report: ValidationReport) -> None:
    try:
        expected = marts.universe(reader)
        present = marts.symbols_on(reader, report.day)
    except MissingMart as missing:
        report.problems.append(str(missing))
        return
    if not present:
        latest = marts.latest_trade_date(reader)
        report.problems.append(f"no prices for {report.day} (latest trade date in the adjusted prices: {latest})")
        return
    missing_symbols = sorted(expected - present)
    if missing_symbols:
        shown = ", ".join(missing_symbols[:15]) + (" ..." if len(missing_symbols) > 15 else "")
        report.problems.append(f"{len(missing_symbols)} of {len(expected)} universe symbols missing on "
                               f"{report.day}: {shown}")
    else:
        report.notes.append(f"all {len(expected)} universe symbols present on {report.day}")


def check_quality_warnings(reader: MartReader, report: ValidationReport) -> None:
    if not reader.has(marts.MARTS_SCHEMA, "data_quality_warnings"):
        report.notes.append("data_quality_warnings not built: skipped")
        return
    rows = marts.data_quality_warnings_on(reader, report.day).dicts()
    for row in rows[:20]:
        report.problems.append("data quality: " + ", ".join(f"{k}={v}" for k, v in row.items()))
    if len(rows) > 20:
        report.problems.append(f"data quality: ... and {len(rows) - 20} more warnings")


def validate(day: date, target: str | None = None, freshness: bool = True) -> ValidationReport:
    report = ValidationReport(day)
    reader = MartReader(target)
    if freshness:
        print("  checking source freshness (dbt source freshness) ...", flush=True)
        check_freshness(target, report)
    print("  checking expected symbols ...", flush=True)
    check_symbols(reader, report)
    print("  checking data-quality warnings ...", flush=True)
    check_quality_warnings(reader, report)
    log_event(logger, "validation_finished", day=day, problems=len(report.problems))
    return report
