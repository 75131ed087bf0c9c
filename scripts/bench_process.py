"""Child processes measured the way the benchmark reports them: wall time, peak RSS of the whole
process tree, every output line stamped with its arrival time, a timeout that kills the tree,
and a heartbeat line while the child runs so a long step shows it is alive."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

SAMPLE_SECONDS = 0.05
HEARTBEAT_SECONDS = 30.0


@dataclass
class Measured:
    """One child process: `lines` are (seconds since start, stream, text)."""

    wall_seconds: float
    peak_rss_bytes: int
    returncode: int
    timed_out: bool
    lines: list[tuple[float, str, str]] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def text(self, stream: str | None = None) -> list[str]:
        return [line for _, name, line in self.lines if stream is None or name == stream]

    def tail(self, count: int = 15) -> str:
        return "".join(self.text()[-count:])


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def _kill_tree(process: psutil.Process) -> None:
    for member in [*process.children(recursive=True), process]:
        try:
            member.kill()
        except psutil.NoSuchProcess:
            continue


def run_measured(command: list[str], env: dict[str, str], cwd: Path, timeout: float, label: str) -> Measured:
    """Run `command`; sample the RSS of its tree every 50 ms; kill it after `timeout` seconds."""
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[tuple[float, str, str]] = []
    lock = threading.Lock()

    def read(stream: object, name: str) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with lock:
                lines.append((time.perf_counter() - started, name, line))

    readers = [threading.Thread(target=read, args=(child.stdout, "stdout"), daemon=True),
               threading.Thread(target=read, args=(child.stderr, "stderr"), daemon=True)]
    for reader in readers:
        reader.start()
    watched = psutil.Process(child.pid)
    peak = 0
    timed_out = False
    next_heartbeat = HEARTBEAT_SECONDS
    while child.poll() is None:
        try:
            peak = max(peak, tree_rss(watched))
        except psutil.NoSuchProcess:
            break
        elapsed = time.perf_counter() - started
        if elapsed > timeout:
            timed_out = True
            print(f"    {label}: timed out after {elapsed:.0f} s, stopping it", flush=True)
            _kill_tree(watched)
            break
        if elapsed > next_heartbeat:
            print(f"    {label}: still running, {elapsed:.0f} s", flush=True)
            next_heartbeat += HEARTBEAT_SECONDS
        time.sleep(SAMPLE_SECONDS)
    child.wait()
    wall = time.perf_counter() - started
    for reader in readers:
        reader.join(timeout=5)
    return Measured(wall_seconds=wall, peak_rss_bytes=peak, returncode=child.returncode, timed_out=timed_out,
                    lines=sorted(lines, key=lambda entry: entry[0]))


# dbt's console result lines, e.g.
#   12:00:01  3 of 40 OK created sql table model strategy_data.performance ..... [OK in 3.21s]
#   12:00:02  4 of 40 OK loaded seed file main.trading_calendar ............... [INSERT 250 in 0.1s]
#   12:00:03  5 of 40 PASS not_null_signals_symbol ............................ [PASS in 0.05s]
#   12:00:03  6 of 40 WARN 2 assert_something .................................. [WARN 2 in 0.05s]
RESULT_LINE = re.compile(r"\d+ of \d+ (OK|PASS|WARN|ERROR|FAIL|SKIP)\b (.*?) \.*\s*\[.*? in ([\d.]+)s\]")
MODEL_TEXT = re.compile(r"(?:created|creating|updated) \w+ [\w ]*?model ([\w.]+)")
SEED_TEXT = re.compile(r"(?:loaded|loading) seed file ([\w.]+)")
SNAPSHOT_TEXT = re.compile(r"snapshotted ([\w.]+)")
TEST_TEXT = re.compile(r"(?:\d+ )?([\w.]+)")


def parse_dbt_result_line(line: str) -> dict | None:
    """One node's result from a dbt console line: name, resource type, status, seconds."""
    match = RESULT_LINE.search(line)
    if not match:
        return None
    status, text, seconds = match.groups()
    resource_type, name = "test", ""
    for kind, pattern in (("model", MODEL_TEXT), ("seed", SEED_TEXT), ("snapshot", SNAPSHOT_TEXT)):
        if found := pattern.search(text):
            resource_type, name = kind, found.group(1)
            break
    else:
        found = TEST_TEXT.match(text)
        name = found.group(1) if found else text
    return {"unique_id": f"{resource_type}.{name}", "name": name.split(".")[-1], "resource_type": resource_type,
            "materialized": "", "language": "", "status": status.lower(), "seconds": float(seconds)}


def nodes_from_lines(measured: Measured) -> list[dict]:
    """Every node result dbt printed, each with the moment its line arrived (`done_at`, seconds)."""
    nodes = []
    for at, stream, line in measured.lines:
        if stream == "stdout" and (node := parse_dbt_result_line(line)):
            nodes.append({**node, "done_at": round(at, 3)})
    return nodes
