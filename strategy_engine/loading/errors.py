"""The one error type a bad input file raises: it names the file and, where known, the line."""

from __future__ import annotations


class LoadError(ValueError):
    def __init__(self, file: str, message: str, line: int | None = None) -> None:
        self.file = file
        self.line = line
        where = f"{file}, line {line}" if line is not None else file
        super().__init__(f"{where}: {message}")
