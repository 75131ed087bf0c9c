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
