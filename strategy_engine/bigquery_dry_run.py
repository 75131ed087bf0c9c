"""BigQuery dry runs of compiled dbt SQL: the bytes each model would scan, at no cost.

Used by `strategy-engine run --target prod --dry-run` (runner) after `dbt compile --target prod`.
google-cloud-bigquery is imported lazily and the client can be injected, so this is testable offline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DryRunResult:
    """BigQuery's own estimate for one model: bytes processed, or the error it reported."""

    unique_id: str
    bytes_processed: int | None
    error: str | None = None


def compiled_models(manifest_path: Path) -> dict[str, str]:
    """unique_id -> compiled SQL of every compiled SQL model in a dbt manifest."""
    manifest = json.loads(Path(manifest_path).read_text())
    return {
        unique_id: node["compiled_code"]
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node.get("language") == "sql" and node.get("compiled_code")
    }


def dry_run(models: dict[str, str], client: Any | None = None, project: str | None = None) -> list[DryRunResult]:
    """Dry-run each model's SQL; a model whose inputs do not exist yet reports BigQuery's error."""
    from google.cloud import bigquery

    client = client or bigquery.Client(project=project)
    config = bigquery.QueryJobConfig(dry_run=True, use_query_cache=False)
    results = []
    for unique_id, sql in models.items():
        try:
            job = client.query(sql, job_config=config)
            results.append(DryRunResult(unique_id, int(job.total_bytes_processed or 0)))
        except Exception as error:  # google.api_core exceptions: NotFound, BadRequest, Forbidden
            results.append(DryRunResult(unique_id, None, str(error).splitlines()[0]))
    return results


def total_bytes(results: list[DryRunResult]) -> int:
    return sum(result.bytes_processed or 0 for result in results)
