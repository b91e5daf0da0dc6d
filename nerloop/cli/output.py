"""The one place where library errors become a message on stderr and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from nerloop.errors import InputError, NerloopError

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_INPUT = 2
EXIT_FAILURE = 1


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn :class:`NerloopError` into ``error: …`` on stderr (problems one per line) and exit non-zero."""
    try:
        yield
    except InputError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"error: {exc.summary or 'invalid input'}", file=sys.stderr)
        raise typer.Exit(EXIT_INPUT) from None
    except NerloopError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_FAILURE) from None
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        raise typer.Exit(EXIT_FAILURE) from None
