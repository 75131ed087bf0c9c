"""Opening the files of a load: plain files and zip archives, streamed and bounded.

A path names a regular file (a directory or a symbolic link is refused). A zip is never unpacked
into memory: each data member is opened as a stream. Before anything is read, the central directory
is checked against the limits below; while streaming, the bytes that actually come out are checked
again, because a member's header can lie about its sizes.

Limits (environment variables; `strategy-engine load` has an option for each):

- SE_LOAD_MAX_UNCOMPRESSED_BYTES (default 8 GiB): total uncompressed bytes of an archive's members,
  nested archives included; a member alone over it is refused as oversized.
- SE_LOAD_MAX_RATIO (default 200): a member's uncompressed size over its compressed size. CSV
  exports compress 3 to 20 times; a thousandfold member is a zip bomb.
- SE_LOAD_MAX_MEMBERS (default 20,000): members of one archive (about 80 years of daily bhavcopies).
- SE_LOAD_MAX_NESTING (default 0): how deep archives inside archives are opened; 0 refuses a zip
  inside a zip.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from strategy_engine.loading.errors import LoadError

DATA_SUFFIXES = (".csv", ".txt")
ZIP_MAGIC = b"PK\x03\x04"
# what zipfile raises on damaged, encrypted or unsupported archives
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError)


@dataclass(frozen=True)
class ArchiveLimits:
    max_uncompressed_bytes: int = 8 * 2**30
    max_ratio: float = 200.0
    max_members: int = 20_000
    max_nesting: int = 0

    ENV = {
        "max_uncompressed_bytes": "SE_LOAD_MAX_UNCOMPRESSED_BYTES",
        "max_ratio": "SE_LOAD_MAX_RATIO",
        "max_members": "SE_LOAD_MAX_MEMBERS",
        "max_nesting": "SE_LOAD_MAX_NESTING",
    }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: float | int | None) -> ArchiveLimits:
        """Defaults, then the SE_LOAD_MAX_* environment variables, then explicit overrides (CLI options)."""
        environ = os.environ if environ is None else environ
        values: dict[str, float | int] = {}
        for field_name, variable in cls.ENV.items():
            kind = float if field_name == "max_ratio" else int
            text = environ.get(variable)
            if text:
                try:
                    values[field_name] = kind(text)
                except ValueError:
                    raise ValueError(f"{variable} must be a number, not {text!r}") from None
            if overrides.get(field_name) is not None:
                values[field_name] = kind(overrides[field_name])  # type: ignore[arg-type]
        limits = cls(**values)  # type: ignore[arg-type]
        for field_name, variable in cls.ENV.items():
            if getattr(limits, field_name) < 0:
                raise ValueError(f"{variable} must not be negative")
        return limits


@dataclass(frozen=True)
class Source:
    """One data file of a load: its display name and a way to (re)open it as a binary stream."""

    name: str
    open: Callable[[], IO[bytes]]
    # a plain file's path, which the fast reader opens natively (no Python file object, no GIL)
    path: Path | None = None


class _Budget:
    """Uncompressed bytes of one top-level archive (shared by its nested archives).

    Counted per member as the most ever read from it, so a member read twice (the fast reader, then
    the row parser that names the bad line) is not counted twice.
    """

    def __init__(self, archive: str, limit: int) -> None:
        self.archive = archive
        self.limit = limit
        self.used = 0
        self._per_member: dict[str, int] = {}

    def spend(self, name: str, seen: int) -> None:
        previous = self._per_member.get(name, 0)
        if seen <= previous:
            return
        self._per_member[name] = seen
        self.used += seen - previous
        if self.used > self.limit:
            raise LoadError(name, f"archive {self.archive} holds more than {self.limit:,} uncompressed bytes "
                            f"(SE_LOAD_MAX_UNCOMPRESSED_BYTES); raise the limit if the file is trusted")


class _BoundedMember(io.RawIOBase):
    """A zip member's stream that stops when more bytes come out than its header and the limits allow."""

    def __init__(self, raw: IO[bytes], name: str, info: zipfile.ZipInfo, limits: ArchiveLimits,
                 budget: _Budget) -> None:
        self._raw = raw
        self._name = name
        self._declared = info.file_size
        self._ratio_cap = max(info.compress_size, 1) * limits.max_ratio
        self._max_ratio = limits.max_ratio
        self._budget = budget
        self._seen = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001 - memoryview/bytearray
        try:
            data = self._raw.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as error:
            raise LoadError(self._name, f"damaged zip member ({error})") from None
        count = len(data)
        self._seen += count
        if self._seen > self._declared:
            raise LoadError(self._name, f"member yields more than the {self._declared:,} bytes its header declares")
        if self._seen > self._ratio_cap:
            raise LoadError(self._name, f"member expands more than {self._max_ratio:g} times (SE_LOAD_MAX_RATIO)")
        self._budget.spend(self._name, self._seen)
        buffer[:count] = data
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _is_archive(info: zipfile.ZipInfo, head: bytes) -> bool:
    return info.filename.lower().endswith(".zip") or head.startswith(ZIP_MAGIC)


def _check_directory(archive: zipfile.ZipFile, label: str, limits: ArchiveLimits) -> list[zipfile.ZipInfo]:
    """The members to read, after checking the central directory against the limits."""
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > limits.max_members:
        raise LoadError(label, f"archive has {len(infos):,} members, over the limit of {limits.max_members:,} "
                        "(SE_LOAD_MAX_MEMBERS)")
    declared = 0
    for info in infos:
        member = f"{label}:{info.filename}"
        if _is_symlink(info):
            raise LoadError(member, "member is a symbolic link; archives may hold regular files only")
        if info.file_size > limits.max_uncompressed_bytes:
            raise LoadError(member, f"oversized member: {info.file_size:,} bytes uncompressed, over the limit of "
                            f"{limits.max_uncompressed_bytes:,} (SE_LOAD_MAX_UNCOMPRESSED_BYTES)")
        if info.file_size > max(info.compress_size, 1) * limits.max_ratio:
            raise LoadError(member, f"member expands {info.file_size / max(info.compress_size, 1):,.0f} times "
                            f"({info.compress_size:,} to {info.file_size:,} bytes), over the limit of "
                            f"{limits.max_ratio:g} (SE_LOAD_MAX_RATIO)")
        declared += info.file_size
    if declared > limits.max_uncompressed_bytes:
        raise LoadError(label, f"archive declares {declared:,} uncompressed bytes, over the limit of "
                        f"{limits.max_uncompressed_bytes:,} (SE_LOAD_MAX_UNCOMPRESSED_BYTES)")
    return sorted(infos, key=lambda info: info.filename)


def _zip_sources(
    opener: Callable[[], IO[bytes]], label: str, limits: ArchiveLimits, budget: _Budget, depth: int,
) -> Iterator[Source]:
    try:
        with opener() as handle, zipfile.ZipFile(handle) as archive:
            infos = _check_directory(archive, label, limits)
            plan: list[tuple[zipfile.ZipInfo, bool]] = []
            for info in infos:
                try:
                    with archive.open(info) as member:
                        head = member.read(len(ZIP_MAGIC))
                except ZIP_ERRORS as error:
                    raise LoadError(f"{label}:{info.filename}", f"damaged zip member ({error})") from None
                plan.append((info, _is_archive(info, head)))
    except LoadError:
        raise
    except ZIP_ERRORS as error:
        raise LoadError(label, f"damaged or unsupported zip ({error})") from None

    def member_opener(info: zipfile.ZipInfo, name: str) -> Callable[[], IO[bytes]]:
        def open_member() -> IO[bytes]:
            handle = opener()
            try:
                archive = zipfile.ZipFile(handle)
                raw = archive.open(info.filename)
            except LoadError:
                handle.close()
                raise
            except ZIP_ERRORS as error:
                handle.close()
                raise LoadError(name, f"damaged or unsupported zip member ({error})") from None
            return io.BufferedReader(_Owning(_BoundedMember(raw, name, info, limits, budget), archive, handle),
                                     buffer_size=1 << 20)
        return open_member

    for info, nested in plan:
        name = f"{label}:{info.filename}"
        if nested:
            if depth >= limits.max_nesting:
                raise LoadError(name, f"nested archive; archives inside archives are refused beyond depth "
                                f"{limits.max_nesting} (SE_LOAD_MAX_NESTING)")
            yield from _zip_sources(_spooled(member_opener(info, name)), name, limits, budget, depth + 1)
        elif info.filename.lower().endswith(DATA_SUFFIXES):
            yield Source(name, member_opener(info, name))


def _spooled(opener: Callable[[], IO[bytes]]) -> Callable[[], IO[bytes]]:
    """A nested archive must be seekable: its (bounded) stream is copied to a temporary file first."""

    def open_spooled() -> IO[bytes]:
        spool = tempfile.SpooledTemporaryFile(max_size=16 << 20)  # noqa: SIM115 - returned open
        with opener() as member:
            shutil.copyfileobj(member, spool, 1 << 20)
        spool.seek(0)
        return spool  # type: ignore[return-value]

    return open_spooled


class _Owning(io.RawIOBase):
    """A member stream that also closes the archive and file handle it was opened from."""

    def __init__(self, inner: io.RawIOBase, *owned: object) -> None:
        self._inner = inner
        self._owned = owned

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001
        return self._inner.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
            for owned in self._owned:
                owned.close()  # type: ignore[attr-defined]
        super().close()


def iter_sources(path: Path, limits: ArchiveLimits | None = None) -> Iterator[Source]:
    """The data files of one path: the file itself, or every data member of a zip (checked first)."""
    limits = limits or ArchiveLimits.from_env()
    label = str(path)
    if path.is_symlink():
        raise LoadError(label, "is a symbolic link; pass the file it points to")
    if not path.exists():
        raise LoadError(label, "no such file")
    if path.is_dir():
        raise LoadError(label, "is a directory; pass the files (or a zip of them)")
    if not path.is_file():
        raise LoadError(label, "is not a regular file")

    def open_file() -> IO[bytes]:
        try:
            return path.open("rb")
        except OSError as error:
            raise LoadError(label, f"cannot be read ({error.strerror})") from None

    with open_file() as handle:
        head = handle.read(len(ZIP_MAGIC))
    if not (head.startswith(ZIP_MAGIC) or zipfile.is_zipfile(path)):
        yield Source(label, open_file, path)
        return
    sources = list(_zip_sources(open_file, label, limits, _Budget(label, limits.max_uncompressed_bytes), 0))
    if not sources:
        raise LoadError(label, f"archive holds no data file ({', '.join(DATA_SUFFIXES)})")
    yield from sources
