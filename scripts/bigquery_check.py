"""Offline BigQuery portability check (`make bigquery-check`).

1. Compiles the whole project for the `bq_offline` target (dummy oauth token, API endpoint on a
   closed local port) into target/bigquery/first_run and target/bigquery/incremental. No query is
   ever sent: dbt runs in a child process whose BigQuery client refuses every API call at once, the
   relation cache is not populated, and the var `se_offline_is_incremental` answers
   `is_incremental()` (macros/warehouse/is_incremental.sql), so incremental and Python models
   compile in both their first-run and incremental forms.
2. Parses every compiled model, test, snapshot and hook with sqlglot (read="bigquery") and scans it
   for DuckDB-only syntax; Python models must at least be valid Python.
3. Parses the same SQL with sqlfluff's BigQuery dialect (parse errors only: the compiled SQL is
   generated, so style rules belong to the sources, which `make sqlfluff` lints).

Any finding fails the check naming the node. The whole check is time-bound.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
TARGET_ROOT = Path("target/bigquery")
COMPILE_TIMEOUT_SECONDS = 150
CHECKED_RESOURCE_TYPES = {"model", "test", "snapshot", "operation", "analysis"}

# DuckDB spellings that BigQuery rejects (or reads differently), with the portable alternative.
# Matched on SQL with comments and string literals blanked out.
DUCKDB_ONLY_PATTERNS: dict[str, tuple[str, str]] = {
    "::cast": (r"::", "use cast(x as type) or dbt.safe_cast / a dbt.type_* macro"),
    "list_*()": (r"\blist_\w+\s*\(", "DuckDB list functions; use arrays via a dispatched macro"),
    "list_value()": (r"\blist_value\s*\(", "DuckDB list literal; use [..] in a dispatched macro"),
    "struct_pack()": (r"\bstruct_pack\s*\(", "use struct(...) in a dispatched macro"),
    "epoch_ms()": (r"\bepoch_ms\s*\(", "use timestamp_millis / unix_millis in a dispatched macro"),
    "epoch()": (r"\bepoch\s*\(", "use unix_seconds in a dispatched macro"),
    "strftime()": (r"\bstrftime\s*\(", "use format_date / format_timestamp in a dispatched macro"),
    "strptime()": (r"\bstrptime\s*\(", "use parse_date / parse_timestamp in a dispatched macro"),
    "date_diff('part', ...)": (r"\bdate_?diff\s*\(\s*'", "use dbt.datediff"),
    "date_add('part', ...)": (r"\bdate_?add\s*\(\s*'", "use dbt.dateadd"),
    "date_trunc('part', ...)": (r"\bdate_trunc\s*\(\s*'", "use dbt.date_trunc"),
    "date_part('part', ...)": (r"\bdate_part\s*\(\s*'", "use extract(part from x) or dbt.date_part"),
    "interval 'n unit'": (r"\binterval\s*'", "use interval n unit / dbt.dateadd"),
    "try_cast()": (r"\btry_cast\s*\(", "use dbt.safe_cast"),
    "count_if()": (r"\bcount_if\s*\(", "use countif in a dispatched macro, or sum(case ...)"),
    "bool_and()/bool_or()": (r"\bbool_(and|or)\s*\(", "use logical_and/logical_or in a dispatched macro"),
    "arg_max()/arg_min()": (r"\barg_(max|min)\s*\(", "use max_by/min_by or a window in a dispatched macro"),
    "median()": (r"\bmedian\s*\(", "use percentile_cont(x, 0.5) over () in a dispatched macro"),
    "quantile*()": (r"\bquantile(_cont|_disc)?\s*\(", "use percentile_cont / approx_quantiles"),
    "generate_series()/range()": (r"\b(generate_series|range)\s*\(", "use generate_array / generate_date_array"),
    "regexp_matches()": (r"\bregexp_(full_)?matches\s*\(", "use regexp_contains in a dispatched macro"),
    "split_part()/str_split()": (r"\b(split_part|str_split|string_split)\s*\(", "use split()[safe_offset(n)]"),
    "len()": (r"\blen\s*\(", "use length"),
    "now()/today()": (r"\b(now|today)\s*\(", "use current_timestamp / current_date"),
    "isnan()/isinf()": (r"\bis(nan|inf)\s*\(", "use is_nan / is_inf in a dispatched macro"),
    "ilike": (r"\bilike\b", "use lower(x) like ..."),
    "select * exclude": (r"\*\s*exclude\s*\(", "use * except (...)"),
    "DuckDB type": (
        r"\bas\s+(double|varchar|hugeint|ubigint|uinteger|real|timestamptz|text)\b",
        "use dbt.type_float() / dbt.type_string() / dbt.type_int() ...",
    ),
    "double quoted identifier": (r'(?<![\\\w])"\w+"', "BigQuery reads \"x\" as a string; use adapter.quote"),
    "named window clause": (r"\bwindow\s+\w+\s+as\s*\(", "inline the window specification"),
}

_COMMENT_OR_STRING = re.compile(
    r"--[^\n]*|/\*.*?\*/|'(?:[^'\\]|\\.|'')*'|\"\"\".*?\"\"\"", re.DOTALL
)


@dataclass(frozen=True)
class CompiledNode:
    """One compiled node of the manifest: its id, form (first_run/incremental), language and code."""

    unique_id: str
    form: str
    language: str
    code: str
    path: str


@dataclass(frozen=True)
class Finding:
    unique_id: str
    form: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.unique_id} [{self.form}] {self.kind}: {self.detail}"


def blank_comments_and_strings(sql: str) -> str:
    """Replace comments with spaces and string literals with '' so patterns only see code."""

    def _blank(match: re.Match[str]) -> str:
        text = match.group(0)
        return "''" if text.startswith(("'", '"')) else " "

    return _COMMENT_OR_STRING.sub(_blank, sql)


def duckdb_only_findings(sql: str) -> list[tuple[str, str]]:
    """(name, advice) for every DuckDB-only spelling found in the SQL."""
    code = blank_comments_and_strings(sql).lower()
    return [
        (name, advice)
        for name, (pattern, advice) in DUCKDB_ONLY_PATTERNS.items()
        if re.search(pattern, code)
    ]


def sqlglot_error(sql: str) -> str | None:
    """The sqlglot BigQuery parse error of the SQL, or None when it parses."""
    import sqlglot
    from sqlglot.errors import ErrorLevel

    try:
        sqlglot.parse(sql, read="bigquery", error_level=ErrorLevel.RAISE)
    except Exception as error:  # sqlglot raises ParseError and TokenError
        return str(error).splitlines()[0][:300]
    return None


def sqlfluff_errors(sql: str) -> list[str]:
    """sqlfluff BigQuery-dialect parse errors (unparsable sections) of the SQL."""
    from sqlfluff.core import FluffConfig, Linter

    config = FluffConfig(
        overrides={"dialect": "bigquery", "templater": "raw", "large_file_skip_byte_limit": 0},
        ignore_local_config=True,
    )
    parsed = Linter(config=config).parse_string(sql)
    messages = [f"line {v.line_no}: {v.desc()}" for v in parsed.violations]
    if parsed.tree is not None:
        for segment in parsed.tree.recursive_crawl("unparsable"):
            line = segment.pos_marker.line_no if segment.pos_marker else "?"
            messages.append(f"line {line}: unparsable {segment.raw[:80]!r}")
    return messages


def check_node(node: CompiledNode) -> list[Finding]:
    """All findings for one compiled node."""
    if node.language == "python":
        try:
            ast.parse(node.code)
        except SyntaxError as error:
            return [Finding(node.unique_id, node.form, "python syntax", str(error))]
        return []
    findings = [
        Finding(node.unique_id, node.form, "duckdb-only", f"{name} ({advice})")
        for name, advice in duckdb_only_findings(node.code)
    ]
    error = sqlglot_error(node.code)
    if error:
        findings.append(Finding(node.unique_id, node.form, "sqlglot bigquery parse", error))
    findings.extend(
        Finding(node.unique_id, node.form, "sqlfluff bigquery parse", message) for message in sqlfluff_errors(node.code)
    )
    return findings


def compiled_nodes(manifest_path: Path, form: str) -> list[CompiledNode]:
    """The compiled model/test/snapshot/hook nodes of a dbt manifest."""
    manifest = json.loads(manifest_path.read_text())
    nodes = []
    for unique_id, node in manifest["nodes"].items():
        code = node.get("compiled_code")
        if node["resource_type"] not in CHECKED_RESOURCE_TYPES or not code or not code.strip():
            continue
        nodes.append(
            CompiledNode(unique_id, form, node.get("language") or "sql", code, node.get("compiled_path") or "")
        )
    return nodes


def _run_dbt_offline(dbt_args: list[str]) -> int:
    """Run dbt in this process with every BigQuery API call refused immediately (child mode)."""
    from google.cloud.bigquery import client as bigquery_client

    def refuse(self, *args, **kwargs):  # noqa: ARG001 - same signature as Client._call_api
        raise ConnectionRefusedError("bigquery_check is offline: a compile step tried to call the BigQuery API")

    bigquery_client.Client._call_api = refuse  # type: ignore[method-assign]
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(dbt_args)
    if result.exception is not None:
        print(f"dbt failed: {result.exception!r}", file=sys.stderr)
    return 0 if result.success else 1


# tests/dbt: the not_null and uniqueness checks of a daily run's steps (strategy_engine/daily_run.py).
LEFT_OUT_CHECKS = ["assert_signal_path_rows_pass_left_out_checks", "assert_backtest_rows_pass_left_out_checks"]


def compile_form(form: str, incremental: bool, deadline: float) -> subprocess.Popen[bytes]:
    target_path = TARGET_ROOT / form
    args = [
        "compile",
        "--project-dir", ".",
        "--profiles-dir", "profiles",
        "--target", "bq_offline",
        "--target-path", str(target_path),
        "--log-path", "logs/bigquery",
        "--no-populate-cache",
        "--exclude", "resource_type:unit_test",
        "--vars", json.dumps({"se_offline_is_incremental": incremental}),
    ]
    if incremental:
        # Only incremental models differ between the two forms (their tests do not), and the checks
        # a daily run makes in one query, which are empty when every test is selected.
        args += ["--select", "config.materialized:incremental", *LEFT_OUT_CHECKS, "--indirect-selection", "empty"]
    log = open(TARGET_ROOT / f"compile_{form}.log", "wb")  # noqa: SIM115 - closed by the process end
    return subprocess.Popen(
        [sys.executable, __file__, "--dbt-child", *args], cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--dbt-child":
        return _run_dbt_offline(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds for the whole check (a guard against a hung compile; idle: about 60 s)")
    parser.add_argument("--skip-compile", action="store_true", help="check the existing target/bigquery")
    options = parser.parse_args(argv)
    started = time.monotonic()
    deadline = started + options.timeout
    (PROJECT_DIR / TARGET_ROOT).mkdir(parents=True, exist_ok=True)
    forms = {"first_run": False, "incremental": True}
    if not options.skip_compile:
        processes = {form: compile_form(form, incremental, deadline) for form, incremental in forms.items()}
        for form, process in processes.items():
            try:
                code = process.wait(timeout=max(1.0, min(COMPILE_TIMEOUT_SECONDS, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                process.kill()
                print(f"bigquery-check: FAILED: dbt compile ({form}) did not finish in time", file=sys.stderr)
                return 1
            if code != 0:
                log = (PROJECT_DIR / TARGET_ROOT / f"compile_{form}.log").read_text(errors="replace")
                print(log[-4000:], file=sys.stderr)
                print(f"bigquery-check: FAILED: dbt compile ({form}) for BigQuery failed", file=sys.stderr)
                return 1
    compiled_at = time.monotonic()
    nodes: list[CompiledNode] = []
    for form in forms:
        manifest = PROJECT_DIR / TARGET_ROOT / form / "manifest.json"
        form_nodes = compiled_nodes(manifest, form)
        if form == "incremental":
            form_nodes = [n for n in form_nodes
                          if n.unique_id.startswith("model.") or n.unique_id.split(".")[-1] in LEFT_OUT_CHECKS]
        nodes.extend(form_nodes)
    with ProcessPoolExecutor() as pool:
        futures = [pool.submit(check_node, node) for node in nodes]
        findings: list[Finding] = []
        for future in futures:
            findings.extend(future.result(timeout=max(1.0, deadline - time.monotonic())))
    elapsed = time.monotonic() - started
    models = sum(1 for n in nodes if n.unique_id.startswith("model."))
    for finding in findings:
        print(f"bigquery-check: {finding}", file=sys.stderr)
    status = "FAILED" if findings else "ok"
    print(
        f"bigquery-check: {status}: {len(nodes)} compiled nodes ({models} model forms) checked with sqlglot "
        f"and sqlfluff (bigquery) in {elapsed:.1f}s (compile {compiled_at - started:.1f}s); {len(findings)} finding(s)"
    )
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
