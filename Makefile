# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv themselves.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DBT := $(BIN)/dbt
DBT_FLAGS := --project-dir . --profiles-dir profiles
CI_DB := $(CURDIR)/target/ci/strategy_engine_ci.duckdb
export DBT_SEND_ANONYMOUS_USAGE_STATS := False

.PHONY: help venv demo test lint sqlfluff dbt-ci pytest clean lock chromium bench dataproc-zip

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(BIN)/activate: requirements-dev.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or pass PYTHON=..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(BIN)/activate

venv: $(BIN)/activate ## create .venv with the locked dependencies

demo: venv ## load the bundled NIFTY 50 sample, build everything on DuckDB, print a summary
	$(BIN)/strategy-engine demo

lint: venv ## ruff on the Python code
	$(BIN)/ruff check .

sqlfluff: venv ## sqlfluff on models and macros
	$(BIN)/sqlfluff lint models macros tests/dbt

dbt-ci: venv ## load the sample into a fresh DuckDB file, run dbt build on the ci target, check the layering
	rm -f $(CI_DB) && mkdir -p $(dir $(CI_DB))
	SE_DUCKDB_PATH=$(CI_DB) $(BIN)/strategy-engine load --target ci data/sample/nifty50_2017_2022.zip
	SE_DUCKDB_PATH=$(CI_DB) $(DBT) build $(DBT_FLAGS) --target ci --target-path target/ci
	$(BIN)/python scripts/check_layers.py target/ci/manifest.json

pytest: venv chromium emulator-venv ## the Python test suite
	$(BIN)/pytest -q

chromium: ## install Debian's chromium for the report test, only when absent
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		echo "installing chromium (apt-get) for the headless report test ..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium; }

test: lint sqlfluff dbt-ci pytest bigquery-check bigquery-emulator ## everything CI checks

.PHONY: bigquery-check
bigquery-check: venv ## compile for BigQuery offline (target/bigquery); sqlglot + sqlfluff bigquery on every node
	$(BIN)/python scripts/bigquery_check.py

.PHONY: emulator-venv
emulator-venv: venv ## .venv-emulator from requirements-emulator.lock (also used by the loader's emulator tests)
	$(BIN)/python scripts/bigquery_emulator.py --install-only

.PHONY: bigquery-emulator
bigquery-emulator: venv ## seed + build twice on a local BigQuery emulator (3 sample symbols), compare with DuckDB
	$(BIN)/python scripts/bigquery_emulator.py

dataproc-zip: venv ## target/strategy_compute.zip: the compute package the Python models ship to Dataproc (SE_BQ_PY_FILES)
	$(BIN)/python scripts/build_dataproc_zip.py

bench: venv ## issue 13 benchmark: full builds, daily jobs, fixed cost, sweep vs TA-Lib/pandas and vectorbt; writes docs/BENCHMARKS.md (quick: BENCH_ARGS="--sizes 50x5 --skip-sweep")
	$(BIN)/python scripts/benchmark.py $(BENCH_ARGS)

lock: ## re-resolve the lock file (needs uv: pip install uv)
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements-dev.lock
	uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -o requirements.lock
	uv pip compile requirements-emulator.in --generate-hashes --python-version 3.11 --prerelease=allow -o requirements-emulator.lock

clean: ## remove build artifacts and the local warehouse
	rm -rf target logs warehouse reports outbox
