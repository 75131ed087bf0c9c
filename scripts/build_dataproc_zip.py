"""Build the zip the dbt Python models ship to Dataproc Serverless on BigQuery: the pure compute
package strategy_compute and nothing else (no runner, no I/O modules).

    .venv/bin/python scripts/build_dataproc_zip.py                 # -> target/strategy_compute.zip
    gcloud storage cp target/strategy_compute.zip gs://<bucket>/strategy_compute.zip

dbt_project.yml hands the zip's address to Spark as spark.submit.pyFiles (env SE_BQ_PY_FILES,
default gs://strategy-engine-dataproc/strategy_compute.zip). The archive holds the package's .py
files with fixed timestamps, so the same sources give the same bytes.
"""

from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
PACKAGE = "strategy_compute"
DEFAULT_OUTPUT = PROJECT_DIR / "target" / f"{PACKAGE}.zip"
# Zip's earliest representable time: the archive does not change with the files' mtimes.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def package_files(project_dir: Path = PROJECT_DIR) -> list[Path]:
    """The package's Python sources, relative to the project, sorted."""
    return sorted(path.relative_to(project_dir) for path in (project_dir / PACKAGE).rglob("*.py")
                  if "__pycache__" not in path.parts)


def build(output: Path = DEFAULT_OUTPUT, project_dir: Path = PROJECT_DIR) -> list[str]:
    """Write the zip; returns the names inside it."""
    output.parent.mkdir(parents=True, exist_ok=True)
    names = []
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for relative in package_files(project_dir):
            info = zipfile.ZipInfo(relative.as_posix(), date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, (project_dir / relative).read_bytes())
            names.append(info.filename)
    return names


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    arguments = parser.parse_args()
    names = build(arguments.output)
    print(f"wrote {arguments.output}: {len(names)} files of {PACKAGE}")
