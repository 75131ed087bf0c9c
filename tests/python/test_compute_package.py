"""Issue 15, "a compute package with no I/O": strategy_compute (what the dbt Python models import)
imports no I/O module and not the runner, the Python models import only it, and the zip shipped to
Dataproc holds only it."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import build_dataproc_zip
import pytest

import strategy_compute

PROJECT_DIR = Path(__file__).resolve().parents[2]
PACKAGE_DIR = Path(strategy_compute.__file__).resolve().parent
# Top-level modules that read or write a warehouse, a file store or the network, or are the runner.
IO_MODULES = frozenset({
    "duckdb", "google", "requests", "urllib3", "httpx", "aiohttp", "http", "smtplib", "sqlite3", "apprise",
    "dbt", "exchange_calendars", "strategy_engine",
})
# What a compute module may import besides the standard library and itself.
ALLOWED_THIRD_PARTY = frozenset({"numpy", "pandas", "pyarrow", "numba"})


def _modules() -> list[str]:
    return sorted(
        ".".join(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts).removesuffix(".__init__")
        for path in PACKAGE_DIR.rglob("*.py"))


def test_importing_every_compute_module_loads_no_io_module() -> None:
    # A fresh interpreter: what site-packages' .pth files load at start-up (a google namespace
    # package, for one) is not the package's doing, so only modules new after the imports count.
    script = (
        "import importlib, json, sys\n"
        "before = set(sys.modules)\n"
        f"for name in {_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                            cwd=PROJECT_DIR)
    loaded = json.loads(result.stdout)
    assert "strategy_compute.positions" in loaded and "strategy_compute.path.frame" in loaded
    io = sorted(name for name in loaded if name.split(".")[0] in IO_MODULES)
    assert not io, f"importing strategy_compute loaded I/O modules: {io}"


def _imported_top_levels(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE_DIR.rglob("*.py")), ids=lambda path: path.name)
def test_compute_modules_import_only_the_stdlib_numeric_libraries_and_themselves(path: Path) -> None:
    # Also catches an import inside a function, which importing the module does not run.
    allowed = set(sys.stdlib_module_names) | ALLOWED_THIRD_PARTY | {"strategy_compute"}
    outside = sorted(_imported_top_levels(path) - allowed)
    io = sorted(_imported_top_levels(path) & IO_MODULES)
    assert not outside and not io, f"{path.name} imports {outside or io}"


@pytest.mark.parametrize("path", sorted((PROJECT_DIR / "python_models").rglob("*.py")), ids=lambda path: path.name)
def test_python_models_import_only_the_compute_package(path: Path) -> None:
    # Besides it: the standard library, the numeric libraries and pyspark (their Dataproc path).
    imported = _imported_top_levels(path)
    assert "strategy_compute" in imported
    outside = imported - set(sys.stdlib_module_names) - ALLOWED_THIRD_PARTY - {"strategy_compute", "pyspark"}
    assert not outside and not imported & IO_MODULES, sorted(outside or imported & IO_MODULES)


def test_the_dataproc_zip_holds_the_compute_package_only(tmp_path: Path) -> None:
    output = tmp_path / "strategy_compute.zip"
    names = build_dataproc_zip.build(output)
    with zipfile.ZipFile(output) as archive:
        inside = archive.namelist()
        assert archive.testzip() is None
    assert inside == names
    assert all(name.startswith("strategy_compute/") and name.endswith(".py") for name in inside), inside
    expected = sorted(path.relative_to(PACKAGE_DIR.parent).as_posix() for path in PACKAGE_DIR.rglob("*.py"))
    assert sorted(inside) == expected
    # Same sources, same bytes: the upload can be skipped when nothing changed.
    again = tmp_path / "again.zip"
    build_dataproc_zip.build(again)
    assert again.read_bytes() == output.read_bytes()


def test_the_python_models_are_pointed_at_that_zip() -> None:
    project = (PROJECT_DIR / "dbt_project.yml").read_text()
    assert "strategy_compute.zip" in project and "strategy_engine.zip" not in project
