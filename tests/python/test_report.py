"""The HTML report: built from marts in a throwaway DuckDB, opened in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from strategy_engine import cli
from strategy_engine.paths import PROJECT_DIR
from strategy_engine.published import publish

CHARTS = ["equity", "drawdown", "signal_counts"]

# Appended to a copy of the report only: the report itself has no scripts. It asks the browser for
# the laid-out size of what each chart drew and writes it into the DOM that --dump-dom prints.
MEASURE = """<script>
const drawn = {};
for (const svg of document.querySelectorAll('svg.chart')) {
  const marks = svg.querySelectorAll('polyline, rect:not(.legend)');
  let area = 0;
  for (const mark of marks) { const box = mark.getBBox(); area += box.width * Math.max(box.height, 1); }
  drawn[svg.dataset.chart] = {marks: marks.length, area: area, width: svg.getBoundingClientRect().width};
}
document.body.insertAdjacentHTML('beforeend', '<pre id="drawn">' + JSON.stringify(drawn) + '</pre>');
</script>"""


@pytest.fixture()
def marts_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("SE_DUCKDB_PATH", str(path))
    monkeypatch.setenv("SE_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.delenv("SE_TARGET", raising=False)
    monkeypatch.delenv("SE_PUBLISHED_DUCKDB_PATH", raising=False)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema intermediate; create schema strategy_data")
        con.execute("create table intermediate.int_market_data_adjusted as "
                    "select 'INFY' as symbol, date '2022-02-01' as trade_date")
        con.execute(
            "create table strategy_data.equity_curve as "
            "select s.strategy_id, 'p1' as param_set_id, '__PORTFOLIO__' as symbol, d::date as trade_date, "
            "100000 * (1 + 0.0004 * i + 0.02 * sin(i / 7.0 + s.phase)) as equity "
            "from (select * from (values ('sma_cross', 0.0), ('rsi_reversion', 1.5)) as v(strategy_id, phase)) s, "
            "(select range as i, date '2021-06-01' + cast(range as integer) as d from range(240)) r"
        )
        con.execute(  # the portfolio_drawdown mart of that equity (the report computes no drawdown)
            "create table strategy_data.portfolio_drawdown as "
            "select strategy_id, param_set_id, trade_date, equity, peak_equity, equity / peak_equity - 1 as drawdown "
            "from (select *, greatest(1.0, max(equity) over (partition by strategy_id, param_set_id "
            "order by trade_date)) as peak_equity from strategy_data.equity_curve)"
        )
        con.execute(
            "create table strategy_data.signals as "
            "select 's' || i as signal_id, 'sma_cross' as strategy_id, 'p1' as param_set_id, "
            "case when i % 4 = 0 then 'M&M <b>' else 'INFY' end as symbol, "
            "date '2022-02-01' - cast(i % 20 as integer) as signal_date, "
            "case when i % 3 = 0 then 'EXIT_LONG' else 'ENTRY_LONG' end as signal_type, "
            "0.5 as strength from range(60) t(i)"
        )
        con.execute(
            "create table strategy_data.performance as select * from (values "
            "('sma_cross', 'p1', 'full', 0.12, 1.1, -0.18), ('rsi_reversion', 'p1', 'full', 0.08, 0.8, -0.22)) "
            'as t(strategy_id, param_set_id, "window", cagr, sharpe, max_drawdown)'
        )
        con.execute(
            "create table strategy_data.market_data_rejected as select * from (values "
            "('TCS', date '2021-01-04', 'high below low')) as t(symbol, trade_date, reject_reason)"
        )
        con.execute(
            "create table strategy_data.data_quality_warnings as select * from (values "
            "('large_move', 'INFY', date '2022-02-01', 'close moved 25%')) "
            "as t(warning_type, symbol, trade_date, detail)"
        )
    publish()
    return path


def _chromium() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.skip("chromium not installed (make test installs it)")
    return binary


def _headless(binary: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-dev-shm-usage", "--hide-scrollbars", *args],
        capture_output=True, text=True, timeout=90, check=True,
    )


def test_report_renders_every_chart_in_chromium(marts_warehouse: Path, tmp_path: Path) -> None:
    assert cli.main(["report", "--date", "2022-02-01"]) == 0
    report = tmp_path / "reports" / "report-2022-02-01.html"
    content = report.read_text()
    assert "<script" not in content and "http://" not in content.replace("http://www.w3.org/2000/svg", "")
    assert "M&amp;M &lt;b&gt;" in content  # table cells are escaped
    assert "close moved 25%" in content and "high below low" in content
    for chart in CHARTS:
        assert f'data-chart="{chart}"' in content

    measured = tmp_path / "measure.html"
    measured.write_text(content.replace("</body>", MEASURE + "</body>"))
    binary = _chromium()
    dom = _headless(binary, "--virtual-time-budget=5000", "--dump-dom", measured.as_uri()).stdout
    drawn = json.loads(re.findall(r'<pre id="drawn">(.*?)</pre>', dom)[-1])
    for chart in CHARTS:
        assert drawn[chart]["marks"] > 0 and drawn[chart]["area"] > 100, (chart, drawn)
        assert drawn[chart]["width"] > 400, (chart, drawn)

    screenshot = PROJECT_DIR / "reports" / "report-screenshot.png"
    screenshot.parent.mkdir(exist_ok=True)
    screenshot.unlink(missing_ok=True)
    _headless(binary, f"--screenshot={screenshot}", "--window-size=1200,2000", report.as_uri())
    assert screenshot.stat().st_size > 10_000


def test_report_without_marts_says_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SE_DUCKDB_PATH", str(tmp_path / "empty.duckdb"))
    monkeypatch.setenv("SE_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.delenv("SE_PUBLISHED_DUCKDB_PATH", raising=False)
    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    assert cli.main(["report", "--date", date(2022, 2, 1).isoformat()]) == 0
    content = (tmp_path / "reports" / "report-2022-02-01.html").read_text()
    assert content.count("no published data yet; run strategy-engine run") >= 5  # before any snapshot
    publish()  # a snapshot of a warehouse without marts
    assert cli.main(["report", "--date", date(2022, 2, 1).isoformat()]) == 0
    content = (tmp_path / "reports" / "report-2022-02-01.html").read_text()
    assert "strategy_data.equity_curve does not exist" in content
    assert "strategy_data.signals does not exist" in content


def test_report_reads_the_published_snapshot_not_the_warehouse(marts_warehouse: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(marts_warehouse)) as con:  # a build after the last publish
        con.execute("update strategy_data.data_quality_warnings set detail = 'written after publishing'")
    assert cli.main(["report", "--date", "2022-02-01"]) == 0
    content = (tmp_path / "reports" / "report-2022-02-01.html").read_text()
    assert "close moved 25%" in content and "written after publishing" not in content


def test_report_send_emails_it_over_local_smtp(marts_warehouse: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    from email import message_from_bytes

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list[bytes] = []

    class Collect(Message):
        def handle_message(self, message) -> None:  # noqa: ANN001 - aiosmtpd's API
            received.append(message.as_bytes())

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SE_ALERT_URLS", f"mailto://127.0.0.1:{port}?from=engine@example.com&to=desk@example.com"
                       "&mode=insecure")
    monkeypatch.setenv("SE_ALERT_RETRIES", "1")
    try:
        assert cli.main(["report", "--date", "2022-02-01", "--send"]) == 0
    finally:
        controller.stop()
    subjects = [str(message_from_bytes(raw)["Subject"]) for raw in received]
    assert any("Strategy performance as of 2022-02-01" in s for s in subjects)
    report_mail = message_from_bytes(next(r for r in received if b"report for 2022-02-01" in r))
    names = [part.get_filename() for part in report_mail.walk() if part.get_filename()]
    assert names == ["report-2022-02-01.html"]


def test_report_is_written_while_another_process_holds_the_warehouse(marts_warehouse: Path, tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
         "time.sleep(60)", str(marts_warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert cli.main(["report", "--date", "2022-02-01"]) == 0
    finally:
        holder.kill()
        holder.wait(timeout=30)
    content = (tmp_path / "reports" / "report-2022-02-01.html").read_text()
    assert "close moved 25%" in content and 'data-chart="equity"' in content


def test_the_report_reads_its_drawdown_from_the_marts() -> None:
    """Issue 15: drawdown and every other metric come from the marts (portfolio_drawdown, performance);
    the report computed its own drawdown once, with another starting peak than performance."""
    source = (PROJECT_DIR / "strategy_engine" / "reports.py").read_text()
    assert not re.search(r"\bpeak\b[^\"]*=|max\(|/ peak", source) and "portfolio_drawdown" in source
    old_rule = "peak, points = float('-inf'), []\npeak = max(peak, value)\nvalue / peak - 1"
    assert re.search(r"\bpeak\b[^\"]*=|max\(|/ peak", old_rule)
