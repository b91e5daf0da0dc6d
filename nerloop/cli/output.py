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
from collections.abc import Iterator
from contextlib import contextmanager

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


def _fail(message: str, code: int) -> typer.Exit:
    print(one_line(message), file=sys.stderr)
    return typer.Exit(code)


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


@contextmanager
def user_errors() -> Iterator[None]:
    """Map every expected exception to one line on stderr and the documented exit code."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        raise typer.Exit(EXIT_BROKEN_PIPE) from None
    except InputError as exc:
        if len(exc.problems) == 1:
            raise _fail(str(exc.problems[0]), EXIT_INPUT) from None
        for problem in exc.problems:
            print(one_line(problem), file=sys.stderr)
        raise _fail(f"error: {exc.summary or 'invalid input'}", EXIT_INPUT) from None
    except UsageError as exc:
        raise _fail(f"error: {exc}", EXIT_INPUT) from None
    except NerloopError as exc:
        raise _fail(f"error: {exc}", EXIT_FAILURE) from None
    except IntegrityError:  # a concurrent run stored the same rows first (unique keys back every idempotent write)
        raise _fail(
            "error: another nerloop process stored the same rows at the same time; run the command again", EXIT_FAILURE
        ) from None
    except UnicodeDecodeError as exc:
        raise _fail(
            f"error: input is not UTF-8 (byte {exc.object[exc.start : exc.start + 1]!r} at offset {exc.start}); "
            "convert it, e.g. iconv -f GB18030 -t UTF-8",
            EXIT_INPUT,
        ) from None
    except UnicodeEncodeError as exc:
        raise _fail(f"error: text cannot be written as UTF-8 ({exc.reason} at {exc.start})", EXIT_INPUT) from None
    except csv.Error as exc:
        raise _fail(f"error: bad CSV: {exc}", EXIT_INPUT) from None
    except yaml.YAMLError as exc:
        raise _fail(_yaml_message(exc), EXIT_INPUT) from None
    except (ValueError, OverflowError) as exc:
        raise _fail(f"error: {exc}", EXIT_INPUT) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise _fail(f"error: {where}{exc.strerror or exc}", EXIT_FAILURE) from None
    except KeyboardInterrupt:
        raise _fail("error: interrupted", EXIT_INTERRUPTED) from None
