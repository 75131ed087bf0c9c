"""bigquery_dry_run sends dry-run jobs and reports bytes per model (fake client, no network)."""

import json
from types import SimpleNamespace

from strategy_engine.bigquery_dry_run import compiled_models, dry_run, total_bytes


class FakeClient:
    def __init__(self, sizes):
        self.sizes = sizes
        self.configs = []

    def query(self, sql, job_config):
        self.configs.append(job_config)
        if sql not in self.sizes:
            raise RuntimeError("404 Not found: Table p:strategy_data.missing\nmore")
        return SimpleNamespace(total_bytes_processed=self.sizes[sql])


def test_bytes_per_model_and_errors_are_reported():
    client = FakeClient({"select 1": 10, "select 2": 2_000_000})
    results = dry_run({"model.a": "select 1", "model.b": "select 2", "model.c": "select 3"}, client=client)
    assert [(r.unique_id, r.bytes_processed) for r in results] == [
        ("model.a", 10), ("model.b", 2_000_000), ("model.c", None)
    ]
    assert results[2].error == "404 Not found: Table p:strategy_data.missing"
    assert total_bytes(results) == 2_000_010
    assert all(config.dry_run and not config.use_query_cache for config in client.configs)


def test_compiled_models_reads_sql_models_only(tmp_path):
    manifest = {"nodes": {
        "model.x": {"resource_type": "model", "language": "sql", "compiled_code": "select 1"},
        "model.py": {"resource_type": "model", "language": "python", "compiled_code": "def model(): ..."},
        "test.t": {"resource_type": "test", "language": "sql", "compiled_code": "select 2"},
    }}
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    assert compiled_models(path) == {"model.x": "select 1"}
