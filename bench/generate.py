"""Benchmark: how fast ``generate_dataset`` writes training data, against Chatette on the same material.

What is measured, and why
-------------------------
Training sets at scale (10^5–10^6 queries) are regenerated whenever the gazetteer or the
grammar changes, so generation throughput and memory decide whether that loop stays cheap.

nerloop: for each size (``--n-small`` sizes first, then ``--n``) a fresh child process, pinned
to one CPU with ``os.sched_setaffinity``, loads the national gazetteer (33 provinces, 333
cities, 2,845 companies, 38,723 substations, built once from MCA codes into ``--gazetteer``)
through the pickle cache, then calls ``generate_dataset`` with the default grammar, seed 0,
reference date 2026-11-25, JSONL only, into a temporary directory. Reported:

* gazetteer load time (cached; the first, cold load that writes the cache is shown apart);
* setup: a separate ``n=1`` call in the same child (matcher build, literal check, split plan,
  faker distractor pools) — the fixed cost inside every ``generate_dataset`` call;
* generation seconds = wall time of the measured ``generate_dataset`` call (setup included),
  samples/s = n / that; also n / (generation − setup), the steady-state rate;
* attempts and duplicates skipped (samples rejected because their text was already written);
* output size on disk (sum of file sizes of train/validation/test JSONL + manifest);
* peak RSS of the child (its own ``ru_maxrss`` via ``wait4`` — the per-child form of
  ``getrusage(RUSAGE_CHILDREN)``), which includes the loaded gazetteer; RSS right after the
  load is shown too, so the generator's own share is visible.

Chatette (https://github.com/SimGus/Chatette, pip ``chatette``), installed into a throwaway
venv, is the usual template-based NLU data generator. The script translates the compiled
default grammar into a Chatette template mechanically (see ``chatette_template``):

* each template → one intent rule, repeated ``weight`` times (Chatette picks rules uniformly);
* each fragment → an alias ``~[name]`` with its alternatives as rules (repeated by weight);
  ``p`` of a fragment and ``maybe(p)`` → Chatette's ``?/percent`` random-generation modifier;
* each slot ``{{city.short}}`` → a slot reference ``@[city#short]``; every variation of a slot
  has one rule per gazetteer entry, ``[form1|form2|…] = entry id``, with the same surface
  choices the sampler uses (``any`` lists the canonical name twice, like the sampler);
* ``{{date}}`` → ``@[date#any]`` whose rules are distinct surfaces drawn from nerloop's own
  date grammar (``--chatette-dates`` of them);
* faker distractors → aliases filled with the same faker pools (same sizes, same filter);
* whitespace-only alternatives (the ``sep`` fragment's spaces) cannot be written as Chatette
  rules and are dropped.

What Chatette cannot express, and therefore does not do (it is doing *less* work per sample):
slots are drawn independently (a city and a substation from different chains), so there is no
hierarchy consistency and no resolution of labels; no held-out entries or templates per split,
no typos, no full-width noise, no dates normalised to ranges. Chatette is run through its CLI
(``python -m chatette TEMPLATE -o OUT -a jsonl -s 0 -f``) with ``'training': 'N'``, pinned to the
same CPU, under a timeout; reported: examples written, wall seconds (process start to exit:
parsing the template + generating + writing), a probe run with 10 examples for the fixed
parse cost, and peak RSS from ``wait4``.

Run from the repository root with the project venv::

    .venv/bin/python bench/generate.py --n 200000 --chatette-n 10000 100000
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DEFAULT_GAZETTEER,
    DEFAULT_WORK,
    REFERENCE_DATE,
    ChildResult,
    default_cpu,
    dir_bytes,
    ensure_national_gazetteer,
    fmt_float,
    fmt_int,
    machine_facts,
    markdown_table,
    run_pinned_child,
    self_peak_rss_mib,
)

MIB = 1024 * 1024
CHATETTE_PROBE_N = 10
CHATETTE_SPECIALS = set("\\/;[]~@%{}|?#$&=")


# ---------------------------------------------------------------- child: one nerloop run


def child_main(spec_file: str) -> None:
    """Runs inside the pinned child: load the gazetteer, probe setup, generate, write a JSON result."""
    spec = json.loads(Path(spec_file).read_text("utf-8"))
    started = time.perf_counter()
    import datetime as dt

    from gazetteers.loader import load_gazetteer
    from generator.config import GeneratorConfig
    from generator.grammar import load_grammar
    from generator.pipeline import generate_dataset

    import_seconds = time.perf_counter() - started

    t = time.perf_counter()
    gazetteer = load_gazetteer(spec["gazetteer"])
    load_seconds = time.perf_counter() - t
    rss_after_load = self_peak_rss_mib()
    grammar = load_grammar(None, gazetteer.domain)
    reference = dt.date.fromisoformat(spec["reference"])
    gc.freeze()  # as `nerloop generate` does after loading: the gazetteer stays out of full collections

    setup_seconds = None
    if spec["setup_probe"]:
        probe_dir = Path(spec["out_dir"] + ".probe")
        t = time.perf_counter()
        generate_dataset(
            gazetteer, grammar, probe_dir, GeneratorConfig(n=1, seed=spec["seed"], reference_date=reference)
        )
        setup_seconds = time.perf_counter() - t
        shutil.rmtree(probe_dir, ignore_errors=True)

    config = GeneratorConfig(n=spec["n"], seed=spec["seed"], reference_date=reference)
    # (samples written, seconds since the call started) at every tenth of the run: does the rate hold up?
    chunk = max(1000, spec["n"] // 10)
    marks: list[tuple[int, float]] = []
    written = 0

    def progress(_split: str, k: int) -> None:
        nonlocal written
        before, written = written, written + k
        if written // chunk > before // chunk:
            marks.append((written, time.perf_counter() - t))

    cpu = time.process_time()
    t = time.perf_counter()
    summary = generate_dataset(gazetteer, grammar, Path(spec["out_dir"]), config, progress=progress)
    generation_seconds = time.perf_counter() - t
    generation_cpu = time.process_time() - cpu

    result = {
        "import_seconds": import_seconds,
        "load_seconds": load_seconds,
        "rss_after_load_mib": rss_after_load,
        "setup_seconds": setup_seconds,
        "generation_seconds": generation_seconds,
        "generation_cpu_seconds": generation_cpu,
        "counts": summary.counts,
        "attempts": summary.attempts,
        "duplicates": summary.duplicates,
        "output_bytes": dir_bytes(Path(spec["out_dir"])),
        "peak_rss_self_mib": self_peak_rss_mib(),
        "warnings": summary.warnings,
        "marks": marks,
    }
    Path(spec["result"]).write_text(json.dumps(result), "utf-8")


# ---------------------------------------------------------------- parent: nerloop runs


@dataclass
class NerloopRun:
    n: int
    child: ChildResult
    result: dict | None
    log: Path


def run_nerloop(n: int, args: argparse.Namespace, env: dict[str, str]) -> NerloopRun:
    """One child per run (best of ``--repeat`` by generation time)."""
    best: NerloopRun | None = None
    for attempt in range(args.repeat):
        run_dir = Path(tempfile.mkdtemp(prefix=f"nerloop-n{n}-", dir=args.work))
        spec = {
            "gazetteer": str(args.gazetteer),
            "n": n,
            "seed": 0,
            "reference": REFERENCE_DATE.isoformat(),
            "out_dir": str(run_dir / "out"),
            "result": str(run_dir / "result.json"),
            "setup_probe": not args.no_setup_probe,
        }
        (run_dir / "spec.json").write_text(json.dumps(spec), "utf-8")
        log = args.work / "logs" / f"nerloop-n{n}-{attempt + 1}.log"
        print(
            f"[nerloop] n={fmt_int(n)} run {attempt + 1}/{args.repeat} on CPU {args.cpu} …", file=sys.stderr, flush=True
        )
        child = run_pinned_child(
            [sys.executable, str(Path(__file__).resolve()), "--child", str(run_dir / "spec.json")],
            args.cpu,
            args.timeout,
            log,
            env,
        )
        result_file = run_dir / "result.json"
        result = json.loads(result_file.read_text("utf-8")) if child.returncode == 0 and result_file.is_file() else None
        if result is None:
            print(
                f"[nerloop] n={fmt_int(n)} failed (exit {child.returncode}, timed out: {child.timed_out}); see {log}",
                file=sys.stderr,
            )
        else:
            print(f"[nerloop] n={fmt_int(n)}: {result['generation_seconds']:.1f} s", file=sys.stderr, flush=True)
        if args.keep:
            print(f"[nerloop] output kept in {run_dir}", file=sys.stderr)
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
        run = NerloopRun(n, child, result, log)
        if best is None or (
            result and (best.result is None or result["generation_seconds"] < best.result["generation_seconds"])
        ):
            best = run
    assert best is not None
    return best


# ---------------------------------------------------------------- Chatette


def _escape(text: str) -> str:
    return "".join("\\" + ch if ch in CHATETTE_SPECIALS else ch for ch in text)


def _percent(p: float) -> str:
    return f"?/{round(p * 100, 2):g}" if p < 1.0 else ""


def _repeat_for(weight: float, unit: float) -> int:
    return max(1, round(weight / unit))


@dataclass
class ChatetteTemplate:
    text: str
    lines: int
    intent_rules: int
    notes: list[str] = field(default_factory=list)


def chatette_template(
    gazetteer, grammar, training: int, distractors: dict[str, tuple[str, ...]], dates: list[str]
) -> ChatetteTemplate:
    """Translate the compiled grammar and the gazetteer into one Chatette template file."""
    from generator.grammar import DISTRACTOR, FRAGMENT, LITERAL, OTHER_SLOT, SLOT
    from generator.sampler import surface_choices

    notes: list[str] = []
    used_forms: dict[str, set[str]] = {}
    dropped_space = 0

    def ops_text(ops) -> str:
        nonlocal dropped_space
        parts = []
        for kind, value, form, p in ops:
            if kind == LITERAL:
                if value.strip():
                    parts.append(_escape(value.strip()))
                elif value:
                    dropped_space += 1
            elif kind in (SLOT, OTHER_SLOT):  # a second unit draws from the same slot rules
                slot = value.lower()
                variation = "any" if value == "Date" else form
                used_forms.setdefault(value, set()).add(variation)
                parts.append(f"@[{slot}#{variation}{_percent(p)}]")
            elif kind == FRAGMENT:
                fragment = grammar.fragments[value]
                parts.append(f"~[{value}{_percent(fragment.probability * p)}]")
            elif kind == DISTRACTOR:
                parts.append(f"~[{value}{_percent(p)}]")
        return "".join(parts)

    lines: list[str] = [
        "// Generated by bench/generate.py from the default nerloop grammar and the national gazetteer.",
        "// Mapping: template -> intent rule (repeated by weight); fragment -> alias (p -> ?/percent);",
        "// slot.form -> @[slot#form] with one rule per entry: [surface|...] = entry id.",
        f"%[query]('training': '{training}')",
    ]
    weights = [t.weight for t in grammar.templates]
    unit = min(weights)
    intent_rules = 0
    for template in grammar.templates:
        rule = ops_text(template.ops)
        if not rule:
            notes.append(f"template {template.id} is empty in Chatette; dropped")
            continue
        for _ in range(_repeat_for(template.weight, unit)):
            lines.append("    " + rule)
            intent_rules += 1
    lines.append("")
    for name, fragment in grammar.fragments.items():
        cum = list(fragment.cum_weights)
        fweights = [b - a for a, b in zip([0.0, *cum[:-1]], cum)]
        funit = min(fweights)
        rules = []
        for alternative, weight in zip(fragment.alternatives, fweights):
            rule = ops_text(alternative)
            if not rule:
                continue
            rules += ["    " + rule] * _repeat_for(weight, funit)
        if not rules:
            rules = ["    " + _escape(name)]
            notes.append(f"fragment {name} has no writable alternative; replaced by its name")
        lines += [f"~[{name}]", *rules, ""]
    for kind, pool in distractors.items():
        lines += [f"~[{kind}]", *("    " + _escape(item) for item in pool if item.strip()), ""]

    surfaces = surface_choices(gazetteer)
    for type_name, forms in used_forms.items():
        slot = type_name.lower()
        for form in sorted(forms):
            lines.append(f"@[{slot}#{form}]")
            if type_name == "Date":
                lines += ["    " + _escape(d) for d in dates]
            else:
                for entry in gazetteer.entries(type_name):
                    choices = surfaces[entry.id]
                    if form == "full":
                        options: tuple[str, ...] = (choices.full,)
                    elif form == "alias" and choices.alias:
                        options = choices.alias
                    elif form == "short" and choices.short:
                        options = choices.short
                    else:
                        options = choices.any
                    body = _escape(options[0]) if len(options) == 1 else "[" + "|".join(map(_escape, options)) + "]"
                    lines.append(f"    {body} = {entry.id}")
            lines.append("")
    if dropped_space:
        notes.append(f"{dropped_space} whitespace-only literal(s) (the sep fragment's spaces) dropped")
    return ChatetteTemplate("\n".join(lines) + "\n", len(lines), intent_rules, notes)


def ensure_chatette(args: argparse.Namespace) -> tuple[Path | None, str]:
    """A Python that can ``import chatette``: the throwaway venv, created and filled on first use."""
    if args.chatette_python:
        python = Path(args.chatette_python)
    else:
        venv = args.work / "chatette-venv"
        python = venv / "bin" / "python"
        if not python.is_file():
            base = shutil.which("python3") or sys.executable
            print(f"[chatette] creating {venv} and pip-installing chatette …", file=sys.stderr, flush=True)
            made = subprocess.run([base, "-m", "venv", str(venv)], capture_output=True, text=True, check=False)
            if made.returncode:
                return None, f"python3 -m venv failed: {made.stderr.strip()[-500:]}"
    check = subprocess.run(
        [str(python), "-c", "import chatette; print(chatette.__version__)"], capture_output=True, text=True, check=False
    )
    if check.returncode and not args.chatette_python:
        pip = subprocess.run(
            [str(python), "-m", "pip", "install", "chatette"], capture_output=True, text=True, timeout=600, check=False
        )
        if pip.returncode:
            return None, f"pip install chatette failed: {(pip.stdout + pip.stderr).strip()[-800:]}"
        check = subprocess.run(
            [str(python), "-c", "import chatette; print(chatette.__version__)"],
            capture_output=True,
            text=True,
            check=False,
        )
    if check.returncode:
        return None, f"cannot import chatette with {python}: {check.stderr.strip()[-500:]}"
    return python, check.stdout.strip()


@dataclass
class ChatetteRun:
    asked: int
    child: ChildResult
    written: int
    output_bytes: int
    template_bytes: int
    log: Path
    error: str = ""


def run_chatette(
    python: Path, asked: int, body: ChatetteTemplate, args: argparse.Namespace, timeout: float
) -> ChatetteRun:
    run_dir = Path(tempfile.mkdtemp(prefix=f"chatette-n{asked}-", dir=args.work))
    template = run_dir / "template.chatette"
    template.write_text(body.text, "utf-8")
    out = run_dir / "out"
    log = args.work / "logs" / f"chatette-n{asked}.log"
    print(
        f"[chatette] {fmt_int(asked)} examples on CPU {args.cpu} (timeout {timeout:.0f} s) …",
        file=sys.stderr,
        flush=True,
    )
    child = run_pinned_child(
        [str(python), "-m", "chatette", str(template), "-o", str(out), "-a", "jsonl", "-s", "0", "-f"],
        args.cpu,
        timeout,
        log,
    )
    written = 0
    for output in sorted((out / "train").glob("output*.jsonl")):  # Chatette splits large outputs in files of 10,000
        with output.open("rb") as stream:
            written += sum(1 for line in stream if line.strip())
    error = ""
    if child.timed_out:
        error = f"did not finish in {timeout:.0f} s"
    elif child.returncode != 0:
        tail = log.read_text("utf-8", errors="replace").strip().splitlines()[-3:]
        error = f"exit {child.returncode}: {' / '.join(tail)}"
    print(
        f"[chatette] {fmt_int(asked)}: {error or f'{child.seconds:.1f} s, {fmt_int(written)} written'}",
        file=sys.stderr,
        flush=True,
    )
    result = ChatetteRun(
        asked, child, written, dir_bytes(out) if out.exists() else 0, template.stat().st_size, log, error
    )
    if not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return result


def fmt_rate(value: float | None) -> str:
    if not value:
        return "-"
    return fmt_float(value, 1) if value < 100 else fmt_int(round(value))


def date_words(count: int, seed: int = 0) -> list[str]:
    """Distinct date mentions from nerloop's own date grammar (Chatette gets a fixed list)."""
    from nerloop.dates import sample_date

    rng = random.Random(seed)
    found: dict[str, None] = {}
    for _ in range(count * 50):
        found[sample_date(rng, REFERENCE_DATE)[0]] = None
        if len(found) >= count:
            break
    return list(found)


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="See the module docstring (top of bench/generate.py) for what each figure means.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--n", type=int, default=1_000_000, help="samples of the main nerloop run (0: skip it)")
    parser.add_argument(
        "--n-small",
        type=int,
        nargs="*",
        default=[],
        metavar="N",
        help="extra, smaller nerloop runs done first (quick checks), e.g. --n-small 10000 100000",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per nerloop size; the best generation time is reported"
    )
    parser.add_argument(
        "--gazetteer",
        type=Path,
        default=DEFAULT_GAZETTEER,
        help="national gazetteer directory; built there from MCA codes if missing",
    )
    parser.add_argument(
        "--work", type=Path, default=DEFAULT_WORK, help="scratch directory (outputs, logs, caches, venv)"
    )
    parser.add_argument(
        "--cache", type=Path, default=None, help="NERLOOP_CACHE for the runs (default: WORK/nerloop-cache)"
    )
    parser.add_argument("--cpu", type=int, default=default_cpu(), help="CPU every measured child is pinned to")
    parser.add_argument("--timeout", type=float, default=900, help="seconds after which a nerloop child is killed")
    parser.add_argument("--no-setup-probe", action="store_true", help="skip the n=1 run that measures fixed setup cost")
    parser.add_argument("--keep", action="store_true", help="keep generated outputs and templates under WORK")
    chat = parser.add_argument_group("Chatette")
    chat.add_argument(
        "--chatette-n",
        type=int,
        nargs="*",
        default=[10_000, 100_000],
        metavar="N",
        help="examples per Chatette run (no values: skip Chatette)",
    )
    chat.add_argument(
        "--chatette-timeout", type=float, default=300, help="seconds per Chatette run before it is killed"
    )
    chat.add_argument("--chatette-dates", type=int, default=60, help="distinct date surfaces given to Chatette")
    chat.add_argument(
        "--chatette-python",
        type=Path,
        default=None,
        help="a Python with chatette installed (default: create WORK/chatette-venv and pip install chatette)",
    )
    chat.add_argument("--no-chatette", action="store_true", help="skip Chatette")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.n < 0 or any(n < 1 for n in args.n_small) or args.repeat < 1:
        parser.error("--n must be >= 0, --n-small sizes >= 1, --repeat >= 1")
    if args.cpu not in os.sched_getaffinity(0):
        parser.error(f"--cpu {args.cpu} is not available (allowed: {sorted(os.sched_getaffinity(0))})")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        child_main(args.child)
        return 0
    facts = machine_facts(args.cpu)
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    args.gazetteer = args.gazetteer.resolve()
    cache = (args.cache or args.work / "nerloop-cache").resolve()
    env = {**os.environ, "NERLOOP_CACHE": str(cache)}
    os.environ["NERLOOP_CACHE"] = str(cache)

    built, build_seconds = ensure_national_gazetteer(args.gazetteer)
    from gazetteers.loader import load_gazetteer

    before = {p: p.stat().st_mtime_ns for p in cache.glob("*.pickle")} if cache.is_dir() else {}
    t = time.perf_counter()
    gazetteer = load_gazetteer(args.gazetteer)  # writes the pickle cache the children read
    first_load = time.perf_counter() - t
    after = {p: p.stat().st_mtime_ns for p in cache.glob("*.pickle")} if cache.is_dir() else {}
    first_load_kind = "cache miss: parse + validate + write pickle" if after != before else "pickle cache hit"
    counts = {name: len(gazetteer.entries(name)) for name in gazetteer.domain.types}

    sizes = [*args.n_small, *([args.n] if args.n else [])]
    nerloop_runs = [run_nerloop(n, args, env) for n in sizes]

    chatette_runs: list[ChatetteRun] = []
    chatette_status = "skipped (--no-chatette)" if args.no_chatette or not args.chatette_n else ""
    chatette_probe: ChatetteRun | None = None
    template_info: ChatetteTemplate | None = None
    if not chatette_status:
        python, version = ensure_chatette(args)
        if python is None:
            chatette_status = f"not run: {version}"
            print(f"[chatette] {chatette_status}", file=sys.stderr)
        else:
            chatette_status = f"chatette {version} ({python})"
            from gazetteers.matcher import GazetteerMatcher
            from generator.grammar import load_grammar
            from generator.pipeline import build_distractors

            grammar = load_grammar(None, gazetteer.domain)
            matcher = GazetteerMatcher(gazetteer)
            pools = build_distractors(grammar, matcher, 0)
            dates = date_words(args.chatette_dates)
            try:
                template_info = chatette_template(gazetteer, grammar, CHATETTE_PROBE_N, pools, dates)
                chatette_probe = run_chatette(python, CHATETTE_PROBE_N, template_info, args, args.chatette_timeout)
                for asked in args.chatette_n:
                    body = chatette_template(gazetteer, grammar, asked, pools, dates)
                    chatette_runs.append(run_chatette(python, asked, body, args, args.chatette_timeout))
            except Exception as exc:  # keep the nerloop figures even if Chatette breaks
                chatette_status += f"; failed: {type(exc).__name__}: {exc}"

    print_report(
        args,
        facts,
        counts,
        built,
        build_seconds,
        (first_load, first_load_kind),
        nerloop_runs,
        chatette_status,
        template_info,
        chatette_probe,
        chatette_runs,
    )
    return 0 if all(r.result for r in nerloop_runs) else 1


def print_report(
    args,
    facts,
    counts,
    built,
    build_seconds,
    first_load,
    nerloop_runs,
    chatette_status,
    template_info,
    chatette_probe,
    chatette_runs,
) -> None:
    print("## Generation benchmark\n")
    print(
        markdown_table(
            ["fact", "value"],
            [
                *facts,
                ("gazetteer", f"{args.gazetteer} ({', '.join(f'{k} {fmt_int(v)}' for k, v in counts.items())})"),
                ("gazetteer build", f"built now in {build_seconds:.1f} s" if built else "reused (already built)"),
                ("first gazetteer load in the parent", f"{first_load[0]:.2f} s ({first_load[1]})"),
                ("settings", f"default grammar, seed 0, reference {REFERENCE_DATE.isoformat()}, JSONL only"),
            ],
        )
    )

    print("\n### nerloop `generate_dataset` (one child per run, pinned to one CPU)\n")
    rows = []
    for run in nerloop_runs:
        r = run.result
        if r is None:
            status = (
                f"did not finish in {args.timeout:.0f} s"
                if run.child.timed_out
                else f"failed (exit {run.child.returncode}, log {run.log})"
            )
            rows.append(
                [fmt_int(run.n), status, "", "", "", "", "", "", "", "", fmt_float(run.child.peak_rss_mib, 0), ""]
            )
            continue
        setup = r["setup_seconds"]
        steady = (
            run.n / (r["generation_seconds"] - setup) if setup is not None and r["generation_seconds"] > setup else None
        )
        rows.append(
            [
                fmt_int(run.n),
                fmt_float(r["load_seconds"]),
                fmt_float(setup) if setup is not None else "-",
                fmt_float(r["generation_seconds"]),
                fmt_int(round(run.n / r["generation_seconds"])),
                fmt_int(round(steady)) if steady else "-",
                fmt_int(r["attempts"]),
                fmt_int(r["duplicates"]),
                fmt_float(r["output_bytes"] / MIB, 1),
                fmt_float(r["rss_after_load_mib"], 0),
                fmt_float(run.child.peak_rss_mib, 0),
                f"{r['generation_cpu_seconds'] / r['generation_seconds']:.0%}",
            ]
        )
    print(
        markdown_table(
            [
                "samples",
                "load s (cached)",
                "setup s (n=1)",
                "generation s",
                "samples/s",
                "samples/s excl. setup",
                "attempts",
                "duplicates skipped",
                "output MiB",
                "RSS after load MiB",
                "peak RSS MiB",
                "CPU share",
            ],
            rows,
        )
    )
    print(
        "\nCPU share: CPU time / wall time of the generation; well below 100% means the pinned CPU was shared "
        "with other work and the rates are pessimistic."
    )
    if args.repeat > 1:
        print(f"\nbest of {args.repeat} runs per size (by generation time).")
    tenths = [run for run in nerloop_runs if run.result and len(run.result["marks"]) >= 2]
    if tenths:
        print(
            "\nsamples/s within each tenth of the run (does the rate hold up as the run grows? "
            "1/10 includes the call's setup):\n"
        )
        rows = []
        for run in tenths:
            previous, rates = (0, 0.0), []
            for done, seconds in run.result["marks"]:
                rates.append(
                    fmt_int(round((done - previous[0]) / (seconds - previous[1]))) if seconds > previous[1] else "-"
                )
                previous = (done, seconds)
            rows.append([fmt_int(run.n), *rates, *([""] * (10 - len(rates)))])
        print(markdown_table(["samples", *(f"{i}/10" for i in range(1, 11))], [r[:11] for r in rows]))

    print(f"\n### Chatette: {chatette_status}\n")
    if template_info is not None:
        print(
            f"template: {fmt_int(template_info.lines)} lines, {fmt_int(template_info.intent_rules)} intent rules "
            f"(templates repeated by weight), {fmt_float(len(template_info.text.encode()) / MIB, 1)} MiB"
        )
        for note in template_info.notes:
            print(f"- {note}")
        print()
    if chatette_runs or chatette_probe:
        probe_s = chatette_probe.child.seconds if chatette_probe and not chatette_probe.error else None
        rows = []
        for run in ([chatette_probe] if chatette_probe else []) + chatette_runs:
            rate = run.written / run.child.seconds if run.written and not run.error else None
            # below a 2 s difference from the probe, scheduling noise swamps the rate
            net = (
                run.written / (run.child.seconds - probe_s)
                if rate and probe_s is not None and run is not chatette_probe and run.child.seconds > probe_s + 2
                else None
            )
            rows.append(
                [
                    fmt_int(run.asked) + (" (probe)" if run is chatette_probe else ""),
                    fmt_int(run.written) if not run.error else "-",
                    run.error or fmt_float(run.child.seconds),
                    fmt_rate(rate),
                    fmt_rate(net),
                    fmt_float(run.output_bytes / MIB, 1) if not run.error else "-",
                    fmt_float(run.child.peak_rss_mib, 0),
                    f"{run.child.cpu_seconds / run.child.seconds:.0%}" if run.child.seconds else "-",
                ]
            )
        print(
            markdown_table(
                [
                    "asked",
                    "written",
                    "wall s",
                    "examples/s",
                    "examples/s excl. probe",
                    "output MiB",
                    "peak RSS MiB",
                    "CPU share",
                ],
                rows,
            )
        )
        print(
            "\nwall s: Chatette CLI from start to exit (parse template + generate + write, synonyms file included); "
            f"the probe run ({CHATETTE_PROBE_N} examples) is its fixed cost; examples/s excl. probe = written / "
            "(wall − probe wall), shown only where the two differ by more than 2 s."
        )

    print("\n### Summary\n")
    rows = []
    for run in nerloop_runs:
        if run.result:
            s = run.result["generation_seconds"]
            rows.append(
                [
                    "nerloop generate_dataset",
                    fmt_int(run.n),
                    fmt_float(s),
                    fmt_int(round(run.n / s)),
                    fmt_float(run.child.peak_rss_mib, 0),
                ]
            )
        else:
            rows.append(
                ["nerloop generate_dataset", fmt_int(run.n), "failed", "-", fmt_float(run.child.peak_rss_mib, 0)]
            )
    for run in chatette_runs:
        if run.error:
            rows.append(["chatette CLI", fmt_int(run.asked), run.error, "-", fmt_float(run.child.peak_rss_mib, 0)])
        else:
            rows.append(
                [
                    "chatette CLI",
                    fmt_int(run.written),
                    fmt_float(run.child.seconds),
                    fmt_rate(run.written / run.child.seconds),
                    fmt_float(run.child.peak_rss_mib, 0),
                ]
            )
    print(markdown_table(["tool", "samples", "seconds", "samples/s", "peak RSS MiB"], rows))
    print(
        "\nnerloop seconds: the generate_dataset call (setup included, gazetteer load excluded); peak RSS includes the "
        "loaded gazetteer. Chatette seconds: whole CLI run (template parse included). Both pinned to CPU "
        f"{args.cpu}. Chatette does less per sample: no hierarchy-consistent chains, no label resolution, no "
        "split hold-outs, no noise."
    )


if __name__ == "__main__":
    sys.exit(main())
