"""Hostile archives and paths: each is refused with a LoadError naming the file, exit code 2, no traceback,
and nothing of the call written (issue 14)."""

from __future__ import annotations

import io
import os
import struct
import zipfile
from pathlib import Path

import pytest

from strategy_engine.cli import main
from strategy_engine.loading import LoadError, load_paths
from strategy_engine.loading.archives import ArchiveLimits, _BoundedMember, _Budget
from strategy_engine.warehouse import connect, ensure_source_tables

OHLCV = """symbol,date,open,high,low,close,volume
AAPL,2024-01-02,187.15,188.44,183.89,185.64,82488700
AAPL,2024-01-03,184.22,185.88,183.43,184.25,58414500
"""
GOOD = OHLCV.replace("AAPL", "GOOD")


def zip_of(path: Path, members: dict[str, bytes | str], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def stored_count(warehouse: Path) -> int:
    with connect(warehouse) as con:
        ensure_source_tables(con)
        return con.execute("select count(*) from trading_data.market_data").fetchall()[0][0]


def bomb(tmp_path: Path) -> Path:
    """A ~20 KB zip whose one CSV member is 20 MB of the same line (ratio about 1,000)."""
    line = b"AAPL,2024-01-02,187.15,188.44,183.89,185.64,82488700\n"
    body = b"symbol,date,open,high,low,close,volume\n" + line * (20 * 10**6 // len(line))
    return zip_of(tmp_path / "bomb.zip", {"prices.csv": body})


def lying_header(tmp_path: Path) -> Path:
    """A zip whose member's headers declare 100 bytes uncompressed, while the data inflates to ~50 KB."""
    body = (OHLCV + "".join(f"AAPL,2024-02-{day:02d},1,2,0.5,1.5,10\n" for day in range(1, 29))) * 40
    path = zip_of(tmp_path / "liar.zip", {"prices.csv": body.encode()})
    data = bytearray(path.read_bytes())
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, 100)
    struct.pack_into("<I", data, central + 24, 100)
    path.write_bytes(bytes(data))
    return path


def symlink_member(tmp_path: Path) -> Path:
    path = tmp_path / "links.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("prices.csv")
        info.external_attr = (0o120777 << 16)
        archive.writestr(info, "/etc/passwd")
    return path


def nested(tmp_path: Path) -> Path:
    inner = zip_of(tmp_path / "inner.zip", {"prices.csv": OHLCV})
    return zip_of(tmp_path / "outer.zip", {"inner.zip": inner.read_bytes()})


def directory(tmp_path: Path) -> Path:
    path = tmp_path / "folder"
    path.mkdir()
    (path / "prices.csv").write_text(OHLCV)
    return path


def symlink(tmp_path: Path) -> Path:
    target = tmp_path / "real.csv"
    target.write_text(OHLCV)
    link = tmp_path / "link.csv"
    os.symlink(target, link)
    return link


# (case, how to build the path, limits, the expected file name in the message, words of the message)
HOSTILE = [
    ("bomb", bomb, ArchiveLimits(), "bomb.zip:prices.csv", "over the limit of 200 (SE_LOAD_MAX_RATIO)"),
    ("lying-header", lying_header, ArchiveLimits(), "liar.zip:prices.csv", "damaged zip member"),
    ("no-data-file", lambda tmp: zip_of(tmp / "docs.zip", {"README.md": "hello", "notes/": ""}), ArchiveLimits(),
     "docs.zip", "archive holds no data file"),
    ("nested-zip", nested, ArchiveLimits(), "outer.zip:inner.zip", "nested archive"),
    ("nested-beyond-limit", lambda tmp: zip_of(tmp / "deep.zip", {"mid.zip": nested(tmp).read_bytes()}),
     ArchiveLimits(max_nesting=1), "deep.zip:mid.zip:inner.zip", "SE_LOAD_MAX_NESTING"),
    ("directory", directory, ArchiveLimits(), "folder", "is a directory"),
    ("symlink", symlink, ArchiveLimits(), "link.csv", "symbolic link"),
    ("symlink-member", symlink_member, ArchiveLimits(), "links.zip:prices.csv", "symbolic link"),
    ("oversized-member", lambda tmp: zip_of(tmp / "big.zip", {"prices.csv": OHLCV}, zipfile.ZIP_STORED),
     ArchiveLimits(max_uncompressed_bytes=50), "big.zip:prices.csv", "oversized member"),
    ("total-bytes", lambda tmp: zip_of(tmp / "many.zip", {"a.csv": OHLCV, "b.csv": GOOD}, zipfile.ZIP_STORED),
     ArchiveLimits(max_uncompressed_bytes=len(OHLCV) + 10), "many.zip", "SE_LOAD_MAX_UNCOMPRESSED_BYTES"),
    ("member-count", lambda tmp: zip_of(tmp / "count.zip", {f"{n}.csv": OHLCV for n in range(3)}),
     ArchiveLimits(max_members=2), "count.zip", "3 members, over the limit of 2"),
    ("not-a-zip", lambda tmp: _write(tmp / "broken.zip", b"PK\x03\x04" + b"\x00" * 64), ArchiveLimits(),
     "broken.zip", "zip"),
]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("case", "build", "limits", "name", "words"), HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_input_is_refused_naming_the_file_and_nothing_is_written(
    tmp_path, warehouse_path, case, build, limits, name, words,
):
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    hostile = build(tmp_path)
    with connect(warehouse_path) as con:
        with pytest.raises(LoadError) as raised:
            load_paths(con, [good, hostile], limits=limits)
        ensure_source_tables(con)
        assert con.execute("select count(*) from trading_data.market_data").fetchall() == [(0,)]
    assert name in str(raised.value)
    assert words in str(raised.value)


def _limit_options(limits: ArchiveLimits) -> list[str]:
    defaults = ArchiveLimits()
    options = []
    for field_name in ArchiveLimits.ENV:
        if getattr(limits, field_name) != getattr(defaults, field_name):
            options += [f"--{field_name.replace('_', '-')}", str(getattr(limits, field_name))]
    return options


@pytest.mark.parametrize(("case", "build", "limits", "name", "words"), HOSTILE, ids=[case[0] for case in HOSTILE])
def test_cli_exits_2_with_one_line_and_no_traceback(tmp_path, warehouse_path, capsys, case, build, limits, name,
                                                    words):
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    hostile = build(tmp_path)
    code = main(["load", str(good), str(hostile), *_limit_options(limits)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert name in err
    assert stored_count(warehouse_path) == 0


def test_limits_come_from_the_environment_and_options_override_them(tmp_path, warehouse_path, monkeypatch, capsys):
    archive = zip_of(tmp_path / "count.zip", {f"{n}.csv": OHLCV.replace("AAPL", f"S{n}") for n in range(3)})
    monkeypatch.setenv("SE_LOAD_MAX_MEMBERS", "2")
    assert ArchiveLimits.from_env().max_members == 2
    assert main(["load", str(archive)]) == 2
    assert "SE_LOAD_MAX_MEMBERS" in capsys.readouterr().err
    assert main(["load", str(archive), "--max-members", "3"]) == 0
    assert stored_count(warehouse_path) == 6
    monkeypatch.setenv("SE_LOAD_MAX_RATIO", "lots")
    assert main(["load", str(archive)]) == 2
    assert "SE_LOAD_MAX_RATIO must be a number" in capsys.readouterr().err


def test_nested_zip_loads_when_nesting_is_allowed(tmp_path, warehouse_path):
    with connect(warehouse_path) as con:
        report = load_paths(con, [nested(tmp_path)], limits=ArchiveLimits(max_nesting=1))
    assert report.inserted == 2 and report.files == 1


def _bounded(data: bytes, declared: int, compressed: int, limits: ArchiveLimits, budget: _Budget) -> bytes:
    info = zipfile.ZipInfo("m.csv")
    info.file_size, info.compress_size = declared, compressed
    member = io.BufferedReader(_BoundedMember(io.BytesIO(data), "a.zip:m.csv", info, limits, budget))
    return member.read()


def test_sizes_are_checked_again_while_streaming_because_headers_can_lie():
    limits = ArchiveLimits(max_ratio=10, max_uncompressed_bytes=1000)
    assert _bounded(b"x" * 100, 100, 10, limits, _Budget("a.zip", 1000)) == b"x" * 100
    with pytest.raises(LoadError, match="more than the 50 bytes its header declares"):
        _bounded(b"x" * 100, 50, 50, limits, _Budget("a.zip", 1000))
    with pytest.raises(LoadError, match="expands more than 10 times"):
        _bounded(b"x" * 100, 100, 5, limits, _Budget("a.zip", 1000))
    budget = _Budget("a.zip", 150)
    _bounded(b"x" * 100, 100, 100, limits, budget)
    # read again (the row parser after the fast reader): not counted twice
    budget.spend("a.zip:m.csv", 100)
    with pytest.raises(LoadError, match="holds more than 150 uncompressed bytes"):
        budget.spend("a.zip:other.csv", 51)


def test_help_documents_every_limit(capsys):
    with pytest.raises(SystemExit):
        main(["load", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for variable in ArchiveLimits.ENV.values():
        assert variable in text
