"""Exit codes come from one table, and the most specific type of an exception wins by its MRO.

CONTRACTS.md §3: 2 bad input or usage, 1 a run that failed; 141 for a closed stdout, 130 on Ctrl-C.
"""

from __future__ import annotations

import csv
import sys

import pytest
import typer
import yaml
from sqlalchemy.exc import IntegrityError

from active_learning.errors import CycleLocked, SelectionError, StrategyError
from active_learning.ingest.errors import IngestError
from nerloop.cli import output
from nerloop.cli.output import OUTCOMES, exit_code, user_errors
from nerloop.convert.errors import ConvertError
from nerloop.errors import InputError, NerloopError, OutputBusy, Problem, UsageError
from nerloop.evaluation import EvaluationMismatch


class ValueFirst(ValueError, NerloopError):
    """Bad input first, a nerloop failure second: the MRO says 2."""


class NerloopFirst(NerloopError, ValueError):
    """The other way round: the MRO says 1."""


CASES = [
    # (exception, exit code)
    (InputError(Problem("f.csv", 3, "bad")), 2),
    (UsageError("--top must be at least 1"), 2),
    (IngestError("unknown log format"), 2),  # UsageError and ValueError: 2 either way
    (NerloopError("failed"), 1),
    (OutputBusy("locked"), 1),
    (StrategyError("unknown strategy 'nope'"), 1),
    (SelectionError("no scored queries"), 1),
    (CycleLocked("another nerloop cycle is running"), 1),
    (EvaluationMismatch("gold and predictions differ"), 1),  # NerloopError before ValueError in its MRO
    (ConvertError("bad span"), 1),
    (ValueFirst("x"), 2),
    (NerloopFirst("x"), 1),
    (IntegrityError("INSERT", {}, Exception("UNIQUE")), 1),
    (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), 2),
    (UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"), 2),
    (csv.Error("field larger than field limit"), 2),
    (yaml.YAMLError("not yaml"), 2),
    (ValueError("bad number"), 2),
    (OverflowError("too large"), 2),
    (FileNotFoundError(2, "No such file or directory", "x.csv"), 1),
    (PermissionError(13, "Permission denied"), 1),
    (BrokenPipeError(32, "Broken pipe"), 141),  # an OSError, but not reported as one
    (KeyboardInterrupt(), 130),
    (typer.Abort(), 130),
    (RuntimeError("a bug"), None),  # not expected: the traceback is the report
    (typer.Exit(3), None),
]


@pytest.mark.parametrize(("exc", "code"), CASES, ids=[type(e).__name__ for e, _ in CASES])
def test_each_exception_type_has_its_exit_code(exc, code):
    assert exit_code(exc) == code


@pytest.mark.parametrize(("exc", "code"), CASES, ids=[type(e).__name__ for e, _ in CASES])
def test_the_order_of_the_table_does_not_matter(monkeypatch, exc, code):
    monkeypatch.setattr(output, "OUTCOMES", dict(reversed(list(OUTCOMES.items()))))
    assert exit_code(exc) == code


def test_the_codes_are_the_contract():
    assert {o.code for o in OUTCOMES.values()} == {1, 2, 130, 141}


@pytest.mark.parametrize(
    ("exc", "code", "stderr"),
    [
        (InputError(Problem("f.csv", 3, "bad\nrow")), 2, "f.csv:3: bad row\n"),
        (
            InputError([Problem("a", 1, "x"), Problem("b", 0, "y")], summary="2 bad files"),
            2,
            "a:1: x\nb: y\nerror: 2 bad files\n",
        ),
        (StrategyError("unknown strategy 'nope'"), 1, "error: unknown strategy 'nope'\n"),
        (FileNotFoundError(2, "No such file or directory", "x.csv"), 1, "error: x.csv: No such file or directory\n"),
        (KeyboardInterrupt(), 130, "error: interrupted\n"),
    ],
)
def test_user_errors_prints_one_line_per_problem_and_exits_with_the_code(capsys, exc, code, stderr):
    with pytest.raises(typer.Exit) as raised, user_errors():
        raise exc
    assert raised.value.exit_code == code
    assert capsys.readouterr().err == stderr


def test_an_unexpected_exception_is_not_swallowed():
    with pytest.raises(RuntimeError, match="a bug"), user_errors():
        raise RuntimeError("a bug")
    with pytest.raises(SystemExit), user_errors():
        sys.exit(4)
