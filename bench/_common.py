"""Helpers shared by the benchmark scripts: machine facts, the national gazetteer, tables, pinned children.

Nothing here is imported by the package itself; the scripts in ``bench/`` add
this directory to ``sys.path`` simply by being run from it.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_WORK = Path("/tmp/nerloop-bench")
DEFAULT_GAZETTEER = DEFAULT_WORK / "cn"
REFERENCE_DATE = dt.date(2026, 11, 25)
KIB_PER_MIB = 1024


def default_cpu() -> int:
    """The highest-numbered CPU this process may run on: the one least likely to host the shell."""
    return max(os.sched_getaffinity(0))


def pin(cpu: int) -> None:
    """Restrict the calling process (and what it later spawns) to one CPU."""
    os.sched_setaffinity(0, {cpu})


def cpu_model() -> str:
    """``model name`` from /proc/cpuinfo, with the number of logical CPUs listed there."""
    models: list[str] = []
    mhz = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "model name":
                models.append(value.strip())
            elif key == "cpu MHz" and not mhz:
                mhz = value.strip()
    except OSError:
        return platform.processor() or "unknown"
    if not models:
        return platform.processor() or "unknown"
    name = models[0] if len(set(models)) == 1 else " / ".join(sorted(set(models)))
    return f"{name} ({len(models)} logical CPUs{f', {float(mhz):.0f} MHz' if mhz else ''})"


def git_head() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{out}{' + uncommitted changes' if dirty else ''}" if out else "unknown"


def machine_facts(cpu: int | None) -> list[tuple[str, str]]:
    """The facts printed above every result table."""
    load = os.getloadavg()
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / KIB_PER_MIB / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return [
        ("CPU", cpu_model()),
        ("pinned to CPU", str(cpu) if cpu is not None else "not pinned"),
        ("memory", mem or "unknown"),
        ("load average at start (1/5/15 min)", " / ".join(f"{x:.2f}" for x in load)),
        ("python", f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})"),
        ("platform", platform.platform()),
        ("nerloop", git_head()),
        ("build", compiled_build()),
        ("date", dt.datetime.now().isoformat(timespec="seconds")),
    ]


def compiled_build() -> str:
    """Which build of the hot modules this process imports: the compiled one or the pure-Python source.

    The modules are those of ``[tool.mypy] files`` in pyproject.toml (README, "Compiled build"); a
    bench runs on the compiled build with ``PYTHONPATH=build/compiled`` after scripts/build-compiled.sh.
    """
    import importlib
    import importlib.machinery

    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    with open(REPO / "pyproject.toml", "rb") as f:
        files = tomllib.load(f)["tool"]["mypy"]["files"]
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    compiled = []
    for path in files:
        parts = Path(path).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        origin = importlib.import_module(name).__file__ or ""
        if origin.endswith(suffixes):
            compiled.append(origin)
    if not compiled:
        return "pure Python (no module compiled)"
    where = os.path.commonpath(compiled)
    return f"compiled with mypyc: {len(compiled)} of {len(files)} hot modules (from {where})"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A pipe table with padded columns (readable as plain text, valid markdown)."""
    cells = [[str(h) for h in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(header))]
    numeric = [all(_looks_numeric(r[i]) for r in cells[1:]) and len(cells) > 1 for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(_pad(c, w, right) for c, w, right in zip(row, widths, numeric)) + " |"

    rule = "| " + " | ".join(("-" * (w - 1) + ":") if right else "-" * w for w, right in zip(widths, numeric)) + " |"
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal
    return sum(2 if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - _width(text))
    return gap + text if right else text + gap


def _looks_numeric(text: str) -> bool:
    return text.replace(",", "").replace(".", "", 1).replace("-", "", 1).strip().isdigit()


def fmt_int(value: int) -> str:
    return f"{value:,}"


def fmt_float(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}"


def ensure_national_gazetteer(directory: Path) -> tuple[bool, float]:
    """Build the national gazetteer (MCA codes + the default indicators) into ``directory`` once.

    Mirrors ``nerloop gazetteer build-cn OUT --with-indicators``. Returns whether it was built
    now and how long that took; an existing complete directory is reused as is.
    """
    directory = Path(directory)
    needed = ("provinces.csv", "cities.csv", "companies.csv", "substations.csv", "indicators.csv")
    if all((directory / name).is_file() for name in needed):
        return False, 0.0
    from gazetteers.build_cn import build_cn
    from gazetteers.default import default_directory

    started = time.perf_counter()
    tmp = directory.with_name(directory.name + f".{os.getpid()}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    build_cn(tmp)
    shutil.copyfile(default_directory() / "indicators.csv", tmp / "indicators.csv")
    shutil.rmtree(directory, ignore_errors=True)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp.replace(directory)
    return True, time.perf_counter() - started


def dir_bytes(path: Path) -> int:
    """Apparent size (sum of file sizes) of everything under ``path``."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


@dataclass
class ChildResult:
    """How a measured child process ended."""

    returncode: int | None  # None: killed at the timeout
    seconds: float  # wall time from spawn to exit
    peak_rss_mib: float  # ru_maxrss of this child (and any children it reaped)
    timed_out: bool
    cpu_seconds: float = 0.0  # user + system CPU time of the child


def run_pinned_child(
    argv: Sequence[str], cpu: int | None, timeout: float | None, log: Path, env: dict[str, str] | None = None
) -> ChildResult:
    """Run ``argv`` pinned to ``cpu``; its peak RSS comes from its own rusage (``wait4``).

    ``wait4`` gives this one child's ``ru_maxrss`` (what ``getrusage(RUSAGE_CHILDREN)``
    reports, but not mixed with earlier children), so several runs in one benchmark do
    not report each other's peaks. At the timeout the child's process group is killed.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=(lambda: pin(cpu)) if cpu is not None else None,
            start_new_session=True,
            env=env,
        )
        deadline = started + timeout if timeout else None
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() >= deadline:
                timed_out = True
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # tell Popen it is reaped
    return ChildResult(
        returncode=None if timed_out else os.waitstatus_to_exitcode(status),
        seconds=seconds,
        peak_rss_mib=usage.ru_maxrss / KIB_PER_MIB,
        timed_out=timed_out,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
    )


def self_peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / KIB_PER_MIB
