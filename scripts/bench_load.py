"""Measure `strategy-engine load` (issue 14): seconds, MB/s and peak RSS of the loading process.

Writes, in a temporary directory, the 2,000 symbols x 20 years universe of strategy_engine/synthetic.py (Universe)
(10,080,000 rows) as one ohlcv-csv, a 200 MB slice of it, the same slice zipped, and the slice with a
bad value on line 2,500,000; then loads each into a fresh DuckDB file with the installed command, one
process per load, and prints a markdown table with the machine's facts and load average.

Prices are written with two decimals, as NSE publishes them (the benchmark's session CSVs use 17
significant digits, which nearly doubles the bytes per row).

    .venv/bin/python scripts/bench_load.py [--symbols 2000 --years 20] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv

sys.path.insert(0, str(Path(__file__).resolve().parent))

from strategy_engine.synthetic import LOADER_COLUMNS, Universe, universe_chunks  # noqa: E402

SLICE_BYTES = 200 * 10**6
BAD_LINE = 2_500_000
COMMAND = str(Path(sys.executable).with_name("strategy-engine"))


@dataclass
class Measured:
    label: str
    path: Path
    rows: int
    seconds: float
    peak_rss_mib: float
    exit_code: int
    last_line: str

    @property
    def megabytes(self) -> float:
        return self.path.stat().st_size / 1e6


def write_universe_csv(universe: Universe, path: Path) -> int:
    """The universe as one ohlcv-csv, symbol after symbol; returns the number of data rows."""
    rows = 0
    with path.open("wb") as out:
        for number, frame in enumerate(universe_chunks(universe, "bench")):
            for column in ("open", "high", "low", "close", "value"):
                frame[column] = frame[column].round(2)
            frame = frame[list(LOADER_COLUMNS)]
            table = pa.Table.from_pandas(frame, preserve_index=False)
            table = table.set_column(1, "trade_date", table.column("trade_date").cast(pa.date32()))
            pa_csv.write_csv(table, out, pa_csv.WriteOptions(include_header=number == 0, quoting_style="none"))
            rows += len(frame)
    return rows


def head_lines(source: Path, target: Path, max_bytes: int) -> int:
    """The header and whole lines of `source` up to `max_bytes`; returns the number of data rows."""
    rows = -1
    written = 0
    with source.open("rb") as inp, target.open("wb") as out:
        for line in inp:
            if written + len(line) > max_bytes:
                break
            out.write(line)
            written += len(line)
            rows += 1
    return rows


def with_bad_line(source: Path, target: Path, line_number: int) -> None:
    with source.open("rb") as inp, target.open("wb") as out:
        for number, line in enumerate(inp, start=1):
            if number == line_number:
                cells = line.split(b",")
                cells[5] = b"12x.5"
                line = b",".join(cells)
            out.write(line)


def _peak_rss_kib(pid: int) -> int | None:
    """VmHWM of a running process: its own peak RSS (ru_maxrss of a child would include the memory of
    this process at fork time, which holds the generated universe)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def measure(label: str, path: Path, rows: int, work: Path, database: str | None = None) -> Measured:
    """One `strategy-engine load` in its own process into a fresh warehouse (or `database`, kept)."""
    env = {**os.environ, "SE_DUCKDB_PATH": str(work / f"{database or label.replace(' ', '_')}.duckdb"),
           "SE_TARGET": "local"}
    if database is None:
        Path(env["SE_DUCKDB_PATH"]).unlink(missing_ok=True)
    peak = 0
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen([COMMAND, "load", str(path)], env=env, stdout=output, stderr=subprocess.STDOUT,
                                   text=True)
        while process.poll() is None:
            peak = max(peak, _peak_rss_kib(process.pid) or 0)
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        output.seek(0)
        lines = [line for line in output.read().splitlines() if line.strip()]
    return Measured(label, path, rows, seconds, peak / 1024, process.returncode, lines[-1][:160] if lines else "")


def uncompressed_megabytes(path: Path) -> float:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return sum(info.file_size for info in archive.infolist()) / 1e6
    return path.stat().st_size / 1e6


def machine() -> str:
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({model}), {memory:.1f} GiB RAM, {platform.platform()}, "
            f"Python {platform.python_version()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=2000)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--keep", help="write the files here and keep them (default: a temporary directory)")
    args = parser.parse_args(argv)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_load_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        universe = Universe(args.symbols, args.years)
        full = work / f"universe_{universe.label}.csv"
        full_rows = write_universe_csv(universe, full)
        piece = work / "slice_200mb.csv"
        piece_rows = head_lines(full, piece, SLICE_BYTES)
        zipped = work / "slice_200mb.zip"
        with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            archive.write(piece, "slice_200mb.csv")
        bad = work / "slice_bad_line.csv"
        bad_rows = head_lines(full, bad, SLICE_BYTES * 2)
        with_bad_line(bad, work / "bad.csv", BAD_LINE)
        results = []
        load_average = [round(value, 2) for value in os.getloadavg()]
        for label, path, rows, database in [
            ("200 MB csv", piece, piece_rows, None),
            ("200 MB csv again (every row unchanged)", piece, piece_rows, "200_MB_csv"),
            ("200 MB csv, zipped", zipped, piece_rows, None),
            (f"bad value on line {BAD_LINE:,}", work / "bad.csv", bad_rows, None),
            (f"universe {universe.label}", full, full_rows, None),
        ]:
            results.append(measure(label, path, rows, work, database))
            print(f"measured {label}: {results[-1].seconds:.1f} s", file=sys.stderr, flush=True)
        load_after = [round(value, 2) for value in os.getloadavg()]
        print(f"Loading, measured under load {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
              f"load average {load_average} before, {load_after} after; {machine()}\n")
        print("| file | file MB | CSV MB | rows | seconds | CSV MB/s | peak RSS MiB | exit | last line of output |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
        for result in results:
            csv_mb = uncompressed_megabytes(result.path)
            print(f"| {result.label} | {result.megabytes:,.1f} | {csv_mb:,.1f} | {result.rows:,} | "
                  f"{result.seconds:.1f} | {csv_mb / result.seconds:,.0f} | {result.peak_rss_mib:,.0f} | "
                  f"{result.exit_code} | {result.last_line.replace('|', '/')} |")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
