"""Every command, fed the bad inputs operations teams hit: one line on stderr, the documented exit code,
no traceback, and nothing half-written under a final name."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nerloop.cli.app import app

REF = "2026-11-25"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "mini"
FINAL_NAMES = ("train.jsonl", "validation.jsonl", "test.jsonl", "manifest.json", "train_alpaca.json")


def _gaz(tmp: Path, file: str = "", data: bytes = b"") -> str:
    """A copy of the mini gazetteer, with one file replaced."""
    target = tmp / "gaz"
    shutil.copytree(FIXTURES, target)
    if file:
        (target / file).write_bytes(data)
    return str(target)


def _file(tmp: Path, name: str, data: bytes) -> str:
    (tmp / name).write_bytes(data)
    return str(tmp / name)


def _corrupt_utf8() -> bytes:
    data = bytearray("name\n城关\n龙山\n济南\n".encode())
    data[5] = 0x81  # decodes as GB18030 mojibake when the detector is not strict
    return bytes(data)


GOLD = {"text": "菏泽投诉", "entities": [{"type": "City", "start": 0, "end": 2, "text": "菏泽"}]}
GOLD_FLOAT = {**GOLD, "entities": [{"type": "City", "start": 0.0, "end": 2.9, "text": "菏泽"}]}
DOUBLING = "fragments:\n" + "".join(f"  f{i}: ['{{{{f{i + 1}}}}}{{{{f{i + 1}}}}}']\n" for i in range(40))
DOUBLING += "  f40: [ab]\ntemplates:\n  - '{{f0}}{{indicator}}'\n"


@dataclass(frozen=True)
class Case:
    name: str
    args: Callable[[Path], list[str]]
    code: int
    message: str
    stdin: bytes = b""


GENERATE = ["generate", "--out", "{out}", "-n", "50", "--reference-date", REF, "--db", "sqlite:///{tmp}/s.db"]

CASES = [
    Case(
        "check: corrupt UTF-8 byte",
        lambda t: ["gazetteer", "check", _gaz(t, "indicators.csv", _corrupt_utf8())],
        2,
        "indicators.csv:2: not valid UTF-8: byte 0x81 at byte offset 5",
    ),
    Case(
        "check: GBK mojibake-free",
        lambda t: ["gazetteer", "check", _gaz(t, "indicators.csv", "name\n投诉\n".encode("gbk"))],
        0,
        "",
    ),
    Case(
        "check: tab in a name",
        lambda t: ["gazetteer", "check", _gaz(t, "indicators.csv", "name\n投\t诉\n".encode())],
        2,
        "indicators.csv:2: name '投\\t诉' contains U+0009",
    ),
    Case(
        "check: newline in a name",
        lambda t: ["gazetteer", "check", _gaz(t, "indicators.csv", 'name\n"投\n诉"\n'.encode())],
        2,
        "indicators.csv:2: name '投\\n诉' contains U+000A",
    ),
    Case(
        "check: zero-width space",
        lambda t: ["gazetteer", "check", _gaz(t, "indicators.csv", "name\n投\u200b诉\n".encode())],
        2,
        "U+200B (ZERO WIDTH SPACE)",
    ),
    Case(
        "check: header only",
        lambda t: ["gazetteer", "check", _gaz(t, "indicators.csv", b"name,aliases\n")],
        2,
        "indicators.csv:1: a header and no rows",
    ),
    Case(
        "check: field over the csv limit",
        lambda t: ["gazetteer", "check", _gaz(t, "indicators.csv", b'name\n"' + b"x" * 140_000 + b'"\n')],
        2,
        "indicators.csv:2: bad CSV: field larger than field limit",
    ),
    Case(
        "check: GBK domain.yaml",
        lambda t: ["gazetteer", "check", _gaz(t, "domain.yaml", "name: 电力\n".encode("gbk"))],
        2,
        "domain.yaml:1: not valid UTF-8",
    ),
    Case(
        "check: multi-line YAML error",
        lambda t: ["gazetteer", "check", _gaz(t, "domain.yaml", b"name: x\nhierarchy: [a\n types: {}\n")],
        2,
        "domain.yaml:3: not valid YAML: expected ',' or ']'",
    ),
    Case(
        "generate: NaN split ratio", lambda t: [*GENERATE, "--split-ratios", "nan,0.1,0.1"], 2, "split ratios must be"
    ),
    Case(
        "generate: split ratios not numbers", lambda t: [*GENERATE, "--split-ratios", "a,b"], 2, "--split-ratios 'a,b'"
    ),
    Case(
        "generate: reference date 9999-12-31",
        lambda t: [*GENERATE, "--reference-date", "9999-12-31"],
        2,
        "--reference-date 9999-12-31: give a date between",
    ),
    Case(
        "generate: GBK grammar",
        lambda t: [*GENERATE, "--grammar", _file(t, "g.yaml", "templates: ['{{city}}投诉']\n".encode("gbk"))],
        2,
        "g.yaml:1: not valid UTF-8",
    ),
    Case(
        "generate: exponential grammar",
        lambda t: [*GENERATE, "--grammar", _file(t, "g.yaml", DOUBLING.encode())],
        2,
        "g.yaml:33: fragment 'f31' can expand to 1,024 characters",
    ),
    Case(
        "generate: a billion samples",
        lambda t: [*GENERATE[:4], "1000000000", *GENERATE[5:]],
        1,
        "generate would write about",
    ),
    Case("generate: no --out", lambda t: ["generate", "-n", "5"], 2, "give --out OUT_DIR"),
    Case(
        "generate: verify an unfinished directory",
        lambda t: ["generate", "--verify", str(t)],
        1,
        "manifest.json: missing",
    ),
    Case(
        "tag: invalid UTF-8 on stdin",
        lambda t: ["tag", "--matcher", "--reference-date", REF],
        2,
        "<stdin>:2: not valid UTF-8: byte 0xff at byte offset 7",
        stdin="菏泽\n".encode() + b"\xff\xfe\n",
    ),
    Case(
        "tag: GBK file",
        lambda t: ["tag", "--matcher", _file(t, "q.txt", "菏泽投诉\n".encode("gbk"))],
        2,
        "q.txt:1: not valid UTF-8",
    ),
    Case(
        "tag: lone surrogate in a JSON record",
        lambda t: ["tag", "--matcher"],
        2,
        "lone surrogate",
        stdin=b'{"text": "\\udc80"}\n',
    ),
    Case(
        "tag: reference date 9999-12-31",
        lambda t: ["tag", "--matcher", "--reference-date", "9999-12-31"],
        2,
        "give a date between",
        stdin="明年投诉\n".encode(),
    ),
    Case(
        "eval: empty gold file",
        lambda t: ["eval", "--matcher", "--gold", _file(t, "g.jsonl", b"")],
        2,
        "g.jsonl: no gold records",
    ),
    Case(
        "eval: float offsets",
        lambda t: ["eval", "--matcher", "--gold", _file(t, "g.jsonl", json.dumps(GOLD_FLOAT).encode())],
        2,
        "g.jsonl:1: not a tagged-query record: entity start must be an integer",
    ),
    Case(
        "eval: GBK gold file",
        lambda t: [
            "eval",
            "--matcher",
            "--gold",
            _file(t, "g.jsonl", json.dumps(GOLD, ensure_ascii=False).encode("gbk")),
        ],
        2,
        "g.jsonl:1: not UTF-8",
    ),
    Case("resolve: bad JSON", lambda t: ["resolve", _file(t, "r.jsonl", b"{\n")], 2, "r.jsonl:1: not valid JSON"),
    Case(
        "resolve: float offsets",
        lambda t: ["resolve", _file(t, "r.jsonl", json.dumps(GOLD_FLOAT).encode())],
        2,
        "must be an integer",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gives_one_line_and_its_exit_code(case: Case, tmp_path: Path):
    out = tmp_path / "out"
    args = [a.format(out=out, tmp=tmp_path) for a in case.args(tmp_path)]
    result = CliRunner().invoke(app, args, input=case.stdin)
    assert result.exit_code == case.code, (result.stderr, result.exception)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stderr
    if case.code:
        assert result.stderr.count("\n") == 1, result.stderr
        assert case.message in result.stderr
    result.stdout_bytes.decode("utf-8")  # whatever was written is valid UTF-8
    assert not any((out / name).exists() for name in FINAL_NAMES)


def _run(command: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["bash", "-c", command], input=stdin, capture_output=True, timeout=120)


def test_a_reader_that_stops_early_is_silent():
    nerloop = f"{sys.executable} -m nerloop"
    result = _run(
        f"yes 菏泽投诉 | head -20000 | {nerloop} tag --matcher --reference-date {REF} | head -1; "
        "echo ${PIPESTATUS[2]} >&2"
    )
    assert json.loads(result.stdout)["text"] == "菏泽投诉"
    assert result.stderr.decode().strip() in ("141", "0")  # 0: all output fit in the pipe before head left


def test_a_bare_carriage_return_does_not_split_a_query():
    result = CliRunner().invoke(
        app, ["tag", "--matcher", "--reference-date", REF], input="菏泽\r投诉\r\n意见\n".encode()
    )
    assert result.exit_code == 0
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == ["菏泽\r投诉", "意见"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", "--out", "o", "-n", "abc"], "error: Invalid value for '-n'"),
        (["generate", "--bogus"], "error: No such option: --bogus"),
        (["gerate"], "error: No such command 'gerate'"),
    ],
)
def test_usage_errors_are_one_line_not_a_box(args, message, tmp_path):
    result = subprocess.run([sys.executable, "-m", "nerloop", *args], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
