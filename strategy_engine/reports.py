"""`strategy-engine report`: one self-contained HTML file (inline SVG, no scripts, no network).

On DuckDB it reads the last published snapshot (strategy_engine/published.py), not the warehouse a
run may be writing.
"""

from __future__ import annotations

import html
import logging
import os
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

from strategy_engine import __version__, marts
from strategy_engine.alerts import Alert, configured_channels, send_alert
from strategy_engine.marts import MartReader, MissingMart, Rows
from strategy_engine.paths import PROJECT_DIR
from strategy_engine.structured_log import configure_logging, log_event
from strategy_engine.svg_charts import bar_chart, line_chart

logger = logging.getLogger("strategy_engine.reports")
EMAIL_SCHEMES = {"mailto", "mailtos"}

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}
th{background:#f5f5f5}td:first-child,th:first-child{text-align:left}.missing{color:#a00}
.meta{color:#666;font-size:12px}
"""


def reports_dir() -> Path:
    raw = os.environ.get("SE_REPORTS_DIR", "reports")
    path = Path(raw)
    return path if path.is_absolute() else PROJECT_DIR / path


def _table(rows: Rows, limit: int = 200) -> str:
    if not rows.rows:
        return "<p>none</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>" for row in rows.rows[:limit]
    )
    more = f"<p class='meta'>... {len(rows.rows) - limit} more rows</p>" if len(rows.rows) > limit else ""
    return f"<table><tr>{head}</tr>{body}</table>{more}"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4f}"
    return str(value)


def _missing(missing: MissingMart) -> str:
    return f"<p class='missing'>not available: {html.escape(str(missing))}</p>"


def _series(rows: Rows) -> dict[str, list[tuple[date, float]]]:
    points: dict[str, list[tuple[date, float]]] = defaultdict(list)
    for series, day, value in rows.rows:
        if value is not None:
            points[str(series)].append((day, float(value)))
    return points


def _equity_sections(reader: MartReader, day: date) -> tuple[str, str]:
    """The equity and drawdown charts, both read from the marts (the drawdown with performance's
    rule, from the portfolio_drawdown mart: nothing is computed here)."""
    try:
        equity = _series(marts.portfolio_equity(reader, day))
    except MissingMart as missing:
        return _missing(missing), _missing(missing)
    try:
        drawdown = line_chart("drawdown", "Drawdown from peak", _series(marts.portfolio_drawdown(reader, day)),
                              y_format=".1%") or "<p>no equity rows</p>"
    except MissingMart as missing:
        drawdown = _missing(missing)
    return line_chart("equity", "Portfolio equity by strategy", equity) or "<p>no equity rows</p>", drawdown


def _signal_count_section(reader: MartReader, day: date) -> str:
    try:
        rows = marts.signal_counts(reader, day).rows
    except MissingMart as missing:
        return _missing(missing)
    days = sorted({r[0] for r in rows})
    stacks: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(days))
    index = {d: i for i, d in enumerate(days)}
    for signal_day, signal_type, count in rows:
        stacks[str(signal_type)][index[signal_day]] = float(count)
    return bar_chart("signal_counts", "Signals per day (latest days)", [str(d) for d in days], dict(stacks)) \
        or "<p>no signals</p>"


def _rows_section(fetch, reader: MartReader, *args: object) -> str:  # noqa: ANN001 - a marts function
    try:
        return _table(fetch(reader, *args))
    except MissingMart as missing:
        return _missing(missing)


def build_report(day: date, target: str) -> str:
    """The report from the last published state (one snapshot for every section, on DuckDB)."""
    with MartReader(target, published=True) as reader:
        return _report(reader, day, target)


def _report(reader: MartReader, day: date, target: str) -> str:
    equity, drawdown = _equity_sections(reader, day)
    quality = "<h3>Rejected input rows</h3>" + _rows_section(marts.rejected_summary, reader)
    if reader.has(marts.MARTS_SCHEMA, "data_quality_warnings"):
        quality += "<h3>Warnings by type</h3>" + _rows_section(marts.warnings_summary, reader)
        quality += "<h3>Warnings on the day</h3>" + _rows_section(marts.data_quality_warnings_on, reader, day)
    try:
        latest = marts.latest_trade_date(reader)
    except MissingMart:
        latest = None
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Strategy engine report {day}</title>
<style>{STYLE}</style></head><body>
<h1>Strategy engine report for {day}</h1>
<p class="meta">target {html.escape(target)} · latest trade date {latest} · generated {generated} · v{__version__}</p>
<h2>Equity curves</h2>{equity}
<h2>Drawdowns</h2>{drawdown}
<h2>Signal counts</h2>{_signal_count_section(reader, day)}
<h2>Signals on {day}</h2>{_rows_section(marts.signals_on, reader, day)}
<h2>Performance by strategy</h2>{_rows_section(marts.performance_for, reader, None)}
<h2>Data quality</h2>{quality}
</body></html>
"""


def performance_summary_alert(day: date, target: str) -> Alert | None:
    """The evening summary for every channel: one line per strategy and parameter set."""
    try:
        with MartReader(target, published=True) as reader:
            rows = marts.performance_for(reader, None).dicts()
    except MissingMart as missing:
        log_event(logger, "performance_summary_skipped", reason=str(missing))
        return None
    lines = [", ".join(f"{k}={_cell(v)}" for k, v in row.items() if v is not None) for row in rows[:30]]
    return Alert("performance_summary", day, f"Strategy performance as of {day}", lines or ["no performance rows"])


def write_report(day: date, target: str, send: bool = False) -> int:
    configure_logging()
    print(f"[1/2] building the report for {day} from target {target} ...", flush=True)
    content = build_report(day, target)
    directory = reports_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"report-{day.isoformat()}.html"
    path.write_text(content, encoding="utf-8")
    print(f"      wrote {path} ({len(content):,} bytes)", flush=True)
    log_event(logger, "report_written", path=str(path), bytes=len(content))
    if not send:
        return 0
    print("[2/2] sending the performance summary and e-mailing the report ...", flush=True)
    summary = performance_summary_alert(day, target)
    if summary:
        send_alert(summary)
    channels = [c for c in configured_channels() if c.scheme in EMAIL_SCHEMES]
    if not channels:
        print("error: no e-mail channel configured (add a mailto:// URL to SE_ALERT_URLS)")
        return 1
    alert = Alert("performance_report", day, f"Strategy engine report for {day}", [f"Report for {day} attached."],
                  html_body=f"<p>The strategy engine report for {day} is attached ({html.escape(path.name)}).</p>",
                  attachments=[path])
    deliveries = send_alert(alert, channels=channels)
    for delivery in deliveries:
        print(f"      {delivery.channel}: {delivery.status}" + (f" ({delivery.error})" if delivery.error else ""))
    return 0 if all(d.status in {"sent", "duplicate"} for d in deliveries) else 1
