"""One run at a time: an exclusive lock on a file beside the operations store.

`flock` locks belong to the open file, so the kernel releases one the moment its process ends, even
on SIGKILL: a lock can never outlive its run. The file holds the holder's run id, host, pid and start
time, so that a run that finds the lock taken can say who holds it.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from strategy_engine.ops import ops_path, utc_now

WAIT_VARIABLE = "SE_RUN_LOCK_WAIT_SECONDS"
# The exit code of a run that did not start because another held the lock (sysexits EX_TEMPFAIL).
EXIT_BUSY = 75
_POLL_SECONDS = 0.2


class RunLockBusy(RuntimeError):
    def __init__(self, holder: dict, waited: float) -> None:
        self.holder, self.waited = holder, waited
        who = ", ".join(f"{key} {holder[key]}" for key in ("run_id", "host", "pid", "since") if holder.get(key))
        super().__init__(f"another run holds the warehouse ({who or 'holder unknown'})"
                         + (f"; waited {waited:.0f} s" if waited else ""))


def lock_path() -> Path:
    store = ops_path()
    return store.with_name(f"{store.name}.run.lock")


def default_wait_seconds() -> float:
    raw = os.environ.get(WAIT_VARIABLE, "0")
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise ValueError(f"{WAIT_VARIABLE} must be a number of seconds, not {raw!r}") from None


def _holder(descriptor: int) -> dict:
    try:
        os.lseek(descriptor, 0, os.SEEK_SET)
        return json.loads(os.read(descriptor, 4096) or b"{}")
    except (OSError, ValueError):
        return {}


@contextmanager
def run_lock(run_id: str, wait_seconds: float, path: Path | None = None) -> Iterator[None]:
    """Hold the run lock for the block; RunLockBusy when it is still taken after `wait_seconds`."""
    target = path or lock_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(target, os.O_RDWR | os.O_CREAT, 0o644)
    started = time.monotonic()
    try:
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= wait_seconds:
                    raise RunLockBusy(_holder(descriptor), waited if wait_seconds else 0.0) from None
                time.sleep(min(_POLL_SECONDS, wait_seconds - waited))
        holder = {"run_id": run_id, "host": socket.gethostname(), "pid": os.getpid(),
                  "since": utc_now().isoformat(timespec="seconds")}
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(holder).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(descriptor, 0)
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)
