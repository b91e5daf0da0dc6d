"""What ``bench/generate.py`` needs from any other template generator it compares nerloop with.

Chatette (``_chatette.py``) and Chatito (``_chatito.py``) each translate the compiled default
grammar and the gazetteer into their own template language and run their own CLI; the run
itself — a template file, a child pinned to the measured CPU under a timeout, examples counted,
a log, an error line — and the report's figures are the same for both, and live here.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from _common import REFERENCE_DATE, ChildResult, dir_bytes, fmt_int, run_pinned_child

PROBE_N = 10
"""Examples asked of a competitor's probe run: its fixed cost (start, template parse)."""


@dataclass
class TemplateInfo:
    """A translated template: its text, size, and what the translation could not express."""

    text: str
    lines: int
    intent_rules: int
    notes: list[str] = field(default_factory=list)


@dataclass
class ToolRun:
    asked: int
    child: ChildResult
    written: int
    output_bytes: int
    template_bytes: int
    log: Path
    error: str = ""


@dataclass
class Competitor:
    """One tool's part of the report: how it was found or why not, its template, probe and runs."""

    name: str
    status: str
    template: TemplateInfo | None = None
    probe: ToolRun | None = None
    runs: list[ToolRun] = field(default_factory=list)
    does_less: str = "no hierarchy-consistent chains, no label resolution, no split hold-outs, no noise"


def form_options(choices, form: str) -> tuple[str, ...]:
    """The surfaces the nerloop sampler draws for a slot of ``form`` (``generator.sampler._slot``)."""
    if form == "full":
        return (choices.full,)
    if form == "alias" and choices.alias:
        return choices.alias
    if form == "short" and choices.short:
        return choices.short
    return choices.any


def run_cli(
    tool: str,
    asked: int,
    template: TemplateInfo,
    filename: str,
    command: Callable[[Path, Path], Sequence[str]],
    count: Callable[[Path], int],
    args: argparse.Namespace,
    timeout: float,
) -> ToolRun:
    """Write ``template`` as ``filename`` in a fresh directory, run ``command(template, out)`` pinned to
    ``args.cpu`` under ``timeout``, and count the examples it wrote with ``count(out)``."""
    run_dir = Path(tempfile.mkdtemp(prefix=f"{tool}-n{asked}-", dir=args.work))
    path = run_dir / filename
    path.write_text(template.text, "utf-8")
    out = run_dir / "out"
    log = args.work / "logs" / f"{tool}-n{asked}.log"
    print(
        f"[{tool}] {fmt_int(asked)} examples on CPU {args.cpu} (timeout {timeout:.0f} s) …", file=sys.stderr, flush=True
    )
    child = run_pinned_child(list(command(path, out)), args.cpu, timeout, log)
    error = ""
    if child.timed_out:
        error = f"did not finish in {timeout:.0f} s"
    elif child.returncode != 0:
        tail = log.read_text("utf-8", errors="replace").strip().splitlines()[-3:]
        error = f"exit {child.returncode}: {' / '.join(tail)}"
    written = count(out) if not error and out.exists() else 0
    print(
        f"[{tool}] {fmt_int(asked)}: {error or f'{child.seconds:.1f} s, {fmt_int(written)} written'}",
        file=sys.stderr,
        flush=True,
    )
    result = ToolRun(asked, child, written, dir_bytes(out) if out.exists() else 0, path.stat().st_size, log, error)
    if not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return result


def run_all(
    competitor: Competitor,
    sizes: Sequence[int],
    template_for: Callable[[int], TemplateInfo],
    run: Callable[[int, TemplateInfo], ToolRun],
) -> Competitor:
    """The probe and one run per size; a failure keeps what was measured and says why in the status."""
    try:
        competitor.template = template_for(PROBE_N)
        competitor.probe = run(PROBE_N, competitor.template)
        for asked in sizes:
            competitor.runs.append(run(asked, template_for(asked)))
    except Exception as exc:  # keep the nerloop figures even if a competitor breaks
        competitor.status += f"; failed: {type(exc).__name__}: {exc}"
    return competitor


def date_words(count: int, seed: int = 0) -> list[str]:
    """Distinct date mentions from nerloop's own date grammar (the competitors get a fixed list)."""
    from nerloop.dates import sample_date

    rng = random.Random(seed)
    found: dict[str, None] = {}
    for _ in range(count * 50):
        found[sample_date(rng, REFERENCE_DATE)[0]] = None
        if len(found) >= count:
            break
    return list(found)
