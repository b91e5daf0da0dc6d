"""Exceptions shared by all nerloop packages.

Library code raises these; only the CLI turns them into a message and an exit code.
"""

from __future__ import annotations

from dataclasses import dataclass


class NerloopError(Exception):
    """Base class: a problem the user can fix (bad input, missing file, bad config)."""


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file, printed as ``file:line: message`` (line 0: whole file)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line > 0 else self.file
        return f"{where}: {self.message}"


class InputError(NerloopError):
    """One or more located problems in user input; every problem is kept, not just the first."""

    def __init__(self, problems: list[Problem] | Problem, summary: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        self.summary = summary
        head = summary or f"{len(self.problems)} problem(s)"
        super().__init__(head + "".join(f"\n{p}" for p in self.problems))


class OutputBusy(NerloopError):
    """Another process holds the lock on an output directory."""


class DatasetBroken(NerloopError):
    """An output directory is not the complete result of one run (``generate --verify``)."""


class DiskSpaceError(NerloopError):
    """A run would not fit in the free space of its output directory."""


class UsageError(NerloopError):
    """A flag, argument or input file the command cannot use (exit 2, like other bad input)."""
