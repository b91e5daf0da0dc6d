"""Modules of a few hundred lines, functions that fit on a screen (../shared/STYLE.md, "Shape").

A module or function may be longer when its docstring has a line starting with ``Size:`` that
says why (a table of patterns, a command whose length is its option declarations).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("nerloop", "gazetteers", "generator", "trainer", "inference", "active_learning", "bench")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def _has_size_reason(node: ast.AST) -> bool:
    docstring = ast.get_docstring(node, clean=True) or ""
    return any(line.strip().startswith("Size:") for line in docstring.splitlines())


def _offences(path: Path, relative: str) -> list[str]:
    source = path.read_text("utf-8")
    tree = ast.parse(source, relative)
    out = []
    lines = len(source.splitlines())
    if lines > MAX_MODULE_LINES and not _has_size_reason(tree):
        out.append(f"{relative}: {lines} lines (at most {MAX_MODULE_LINES})")
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES and not _has_size_reason(node):
                out.append(f"{relative}:{node.lineno} {node.name}: {length} lines (at most {MAX_FUNCTION_LINES})")
    return out


def _modules() -> list[tuple[Path, str]]:
    return [
        (path, path.relative_to(ROOT).as_posix())
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    ]


def test_modules_and_functions_are_short_or_say_why() -> None:
    offences = [offence for path, relative in _modules() for offence in _offences(path, relative)]
    assert not offences, "too long, without a 'Size:' line in the docstring saying why:\n" + "\n".join(offences)


def test_a_size_line_excuses_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    plain = tmp_path / "plain.py"
    plain.write_text(f"def f():\n{body}\n", "utf-8")
    excused = tmp_path / "excused.py"
    excused.write_text(f'def f():\n    """Long.\n\n    Size: a table.\n    """\n{body}\n', "utf-8")
    assert [o.split(" ", 1)[1] for o in _offences(plain, "plain.py")] == [
        f"f: {MAX_FUNCTION_LINES + 1} lines (at most {MAX_FUNCTION_LINES})"
    ]
    assert _offences(excused, "excused.py") == []
