"""The one place where errors become a message on stderr and an exit code.

Exit codes (docs/operations.md): 0 success; 2 bad input or usage (the user must change
a file or a flag); 1 a run that failed (busy or broken output directory, full disk,
an exhausted grammar, an OS error); 141 when the reader of stdout went away
(``| head -1``), silently, as Unix tools killed by SIGPIPE do; 130 on Ctrl-C.
Every message is one line: multi-line library text (YAML marks, nested causes) is
folded, and a located problem reads ``file:line: what is wrong``.
"""

from __future__ import annotations

import csv
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import typer
import yaml
from rich.console import Console
from sqlalchemy.exc import IntegrityError

from nerloop.errors import InputError, NerloopError, UsageError

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_INPUT = 2
EXIT_FAILURE = 1
EXIT_BROKEN_PIPE = 128 + 13
EXIT_INTERRUPTED = 130


def one_line(text: object) -> str:
    """Fold a message onto one line (YAML errors and some OS messages span several)."""
    return re.sub(r"\s*\n\s*", " ", str(text)).strip()


def _yaml_message(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"{mark.name}:{mark.line + 1}: " if mark is not None else ""
    return f"error: {where}not valid YAML: {getattr(exc, 'problem', None) or exc}"


def utf8_stdout() -> None:
    """Write stdout as strict UTF-8 whatever the locale says: records are UTF-8 (CONTRACTS.md §2)."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(encoding="utf-8", errors="strict")


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not complain about the pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _input_lines(exc: InputError) -> list[str]:
    if len(exc.problems) == 1:
        return [str(exc.problems[0])]
    return [*map(str, exc.problems), f"error: {exc.summary or 'invalid input'}"]


def _broken_pipe(_exc: BrokenPipeError) -> list[str]:
    _silence_stdout()  # nobody is reading: nothing to say, as Unix tools killed by SIGPIPE
    return []


def _os_lines(exc: OSError) -> list[str]:
    where = f"{exc.filename}: " if exc.filename else ""
    return [f"error: {where}{exc.strerror or exc}"]


def _decode_lines(exc: UnicodeDecodeError) -> list[str]:
    return [
        f"error: input is not UTF-8 (byte {exc.object[exc.start : exc.start + 1]!r} at offset {exc.start}); "
        "convert it, e.g. iconv -f GB18030 -t UTF-8"
    ]


def _error(exc: BaseException) -> list[str]:
    return [f"error: {exc}"]


@dataclass(frozen=True)
class Outcome:
    """What an expected exception becomes: an exit code and the lines for stderr (the last one the cause)."""

    code: int
    lines: Callable[[Any], list[str]] = _error


# The one table of expected exceptions. The most specific type wins by the exception's MRO, never
# by the order of this table: an IngestError (UsageError, ValueError) exits 2 as a UsageError, an
# EvaluationMismatch (NerloopError, ValueError) exits 1 as a NerloopError, a BrokenPipeError is
# not reported as an OSError.
OUTCOMES: dict[type[BaseException], Outcome] = {
    NerloopError: Outcome(EXIT_FAILURE),
    InputError: Outcome(EXIT_INPUT, _input_lines),
    UsageError: Outcome(EXIT_INPUT),
    # a concurrent run stored the same rows first (unique keys back every idempotent write)
    IntegrityError: Outcome(
        EXIT_FAILURE,
        lambda _exc: ["error: another nerloop process stored the same rows at the same time; run the command again"],
    ),
    UnicodeDecodeError: Outcome(EXIT_INPUT, _decode_lines),
    UnicodeEncodeError: Outcome(
        EXIT_INPUT, lambda exc: [f"error: text cannot be written as UTF-8 ({exc.reason} at {exc.start})"]
    ),
    csv.Error: Outcome(EXIT_INPUT, lambda exc: [f"error: bad CSV: {exc}"]),
    yaml.YAMLError: Outcome(EXIT_INPUT, lambda exc: [_yaml_message(exc)]),
    ValueError: Outcome(EXIT_INPUT),
    OverflowError: Outcome(EXIT_INPUT),
    OSError: Outcome(EXIT_FAILURE, _os_lines),
    BrokenPipeError: Outcome(EXIT_BROKEN_PIPE, _broken_pipe),
    KeyboardInterrupt: Outcome(EXIT_INTERRUPTED, lambda _exc: ["error: interrupted"]),
    typer.Abort: Outcome(EXIT_INTERRUPTED, lambda _exc: []),  # Ctrl-C inside click, which has said so
}


def outcome(exc: BaseException) -> Outcome | None:
    """The outcome of the most specific type of ``exc`` in :data:`OUTCOMES`; ``None``: not an expected one."""
    for cls in type(exc).__mro__:
        if cls in OUTCOMES:
            return OUTCOMES[cls]
    return None


def exit_code(exc: BaseException) -> int | None:
    """The exit code of an expected exception (see :data:`OUTCOMES`), ``None`` for an unexpected one."""
    found = outcome(exc)
    return None if found is None else found.code


@contextmanager
def user_errors() -> Iterator[None]:
    """Map every expected exception to one line on stderr and its exit code (:data:`OUTCOMES`)."""
    try:
        yield
        sys.stdout.flush()
    except BaseException as exc:
        found = outcome(exc)
        if found is None:  # a bug, typer's own Exit and usage errors, SystemExit: not ours to word
            raise
        for line in found.lines(exc):
            print(one_line(line), file=sys.stderr)
        raise typer.Exit(found.code) from None
