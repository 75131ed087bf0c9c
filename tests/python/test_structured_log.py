"""Log lines are JSON with the run id, and secrets never reach them."""

from __future__ import annotations

import json
import logging

import pytest

from strategy_engine.structured_log import RUN_ID, JsonLineFormatter, redact


def test_json_line_has_run_id_and_fields() -> None:
    token = RUN_ID.set("run-42")
    try:
        record = logging.LogRecord("strategy_engine.x", logging.INFO, __file__, 1, "built", None, None)
        record.fields = {"models": 3}
        entry = json.loads(JsonLineFormatter().format(record))
    finally:
        RUN_ID.reset(token)
    assert entry["run_id"] == "run-42" and entry["event"] == "built" and entry["models"] == 3


def test_secrets_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SE_RUN_TOKEN", "s3cr3t-token-value")
    text = redact("token s3cr3t-token-value url tgram://123:abcdef@host Authorization: Bearer abc.def")
    assert "s3cr3t" not in text and "abcdef" not in text and "abc.def" not in text


def _json_lines(text: str) -> list[dict]:
    """Every non-empty line must be a JSON object (a plain-text traceback line fails here)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_an_unhandled_cli_exception_is_one_json_line_with_its_traceback(tmp_path) -> None:  # noqa: ANN001
    """The installed command: a report directory that cannot be created is an error no command
    expects; it must come out as a JSON log line and exit code 1, not Python's traceback."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "a-file").write_text("")
    env = {**os.environ, "SE_DUCKDB_PATH": str(tmp_path / "w.duckdb"),
           "SE_REPORTS_DIR": str(tmp_path / "a-file" / "reports"), "SE_TARGET": "local"}
    env.pop("SE_PUBLISHED_DUCKDB_PATH", None)
    command = Path(sys.executable).with_name("strategy-engine")
    done = subprocess.run([str(command), "report", "--date", "2022-02-01"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    lines = _json_lines(done.stderr)
    failure, = (line for line in lines if line["event"] == "unhandled_exception")
    assert failure["level"] == "error" and failure["error"].startswith("NotADirectoryError")
    assert failure["exception"].startswith("Traceback (most recent call last)") and "reports.py" in failure["exception"]


def test_thread_and_main_thread_exceptions_are_json_lines(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture) -> None:
    import sys
    import threading

    from strategy_engine.structured_log import install_exception_hooks

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    install_exception_hooks()

    def fail() -> None:
        raise RuntimeError("thread boom")

    worker = threading.Thread(target=fail, name="worker-1")
    worker.start()
    worker.join()
    try:
        raise ValueError("main boom")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    lines = _json_lines(capsys.readouterr().err)
    by_event = {line["event"]: line for line in lines}
    thread = by_event["unhandled_thread_exception"]
    assert thread["thread"] == "worker-1" and "RuntimeError: thread boom" in thread["exception"]
    assert by_event["unhandled_exception"]["error"] == "ValueError: main boom"
