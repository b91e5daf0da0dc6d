"""Fault injection against ``generate``: overlapping runs, kill -9 at random moments, a full disk.

Whatever happens, every file under a final name is complete, and ``generate --verify`` says
whether the directory holds one intact run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nerloop.outdir import LOCK_FILE, MANIFEST, STAGING

REF = "2026-11-25"


def _command(out: Path, n: int, seed: int, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "nerloop", "generate", "--out", str(out), "-n", str(n), "--seed", str(seed),
        "--reference-date", REF, "--db", f"sqlite:///{out.parent}/store.db", *extra,
    ]  # fmt: skip


def _generate(out: Path, n: int, seed: int, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_command(out, n, seed, *extra), capture_output=True, text=True, timeout=300)


def _verify(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nerloop", "generate", "--verify", str(out)], capture_output=True, text=True, timeout=120
    )


def _wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _assert_final_files_complete(out: Path) -> None:
    """Every final-named JSON Lines file parses line by line and ends with a newline; JSON files parse whole."""
    for path in out.iterdir():
        if path.name.startswith(".") or path.is_dir():
            continue
        text = path.read_text("utf-8")
        if path.suffix == ".jsonl":
            assert text.endswith("\n"), path
            for line in text.splitlines():
                json.loads(line)
        elif path.suffix == ".json":
            json.loads(text)


def test_a_second_generate_into_the_same_directory_fails_at_once_and_the_first_completes(tmp_path: Path):
    out = tmp_path / "data"
    first = subprocess.Popen(_command(out, 20000, 1), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: (out / LOCK_FILE).is_file() and b"pid" in (out / LOCK_FILE).read_bytes())
        # Hold the first run where it is: on a fast machine it would otherwise finish its 20,000 samples
        # before the second interpreter has started, and the second would rightly succeed.
        os.kill(first.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            second = _generate(out, 100, 2)
            assert time.monotonic() - started < 30  # no waiting for the first run
            assert second.returncode == 1
            assert second.stderr.count("\n") == 1 and f"being written by pid {first.pid} (started 20" in second.stderr
            assert first.poll() is None, "the first run should still be writing"
        finally:
            os.kill(first.pid, signal.SIGCONT)
    finally:
        _, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    verified = _verify(out)
    assert verified.returncode == 0 and "train: 16000, validation: 2000, test: 2000" in verified.stdout


@pytest.mark.slow
@pytest.mark.parametrize("phase", ["sampling", "export"])
def test_kill_9_at_random_moments_leaves_only_complete_files(tmp_path: Path, phase: str):
    out = tmp_path / "data"
    assert _generate(out, 500, 1, "--export", "alpaca").returncode == 0
    rng = random.Random(phase)
    # the staged file whose appearance marks the phase; the kill comes a random moment later, and the
    # run is large enough (40,000 samples) that a fast machine is still writing when it comes
    marker = {"sampling": "train.jsonl", "export": "train_alpaca.json"}[phase]
    for _ in range(3):
        run = subprocess.Popen(
            _command(out, 40000, 2, "--export", "alpaca", "--export", "bio"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for(lambda run=run: (out / STAGING / marker).exists() or run.poll() is not None)
        time.sleep(rng.uniform(0, 0.4))
        os.kill(run.pid, signal.SIGKILL)
        assert run.wait() == -signal.SIGKILL, "the run ended before the kill"
        _assert_final_files_complete(out)
        verified = _verify(out)
        if verified.returncode == 0:  # the run before is intact (or, rarely, this one finished)
            assert json.loads((out / MANIFEST).read_text("utf-8"))["config"]["seed"] in (1, 2)
        else:  # killed inside the commit: the directory says it is unfinished
            assert "manifest.json: missing" in verified.stderr
    rerun = _generate(out, 500, 3)  # the lock died with the process; staging is cleaned up
    assert rerun.returncode == 0, rerun.stderr
    assert _verify(out).returncode == 0
    assert sorted(p.name for p in out.iterdir()) == [
        LOCK_FILE,
        "gazetteer_train",
        MANIFEST,
        "test.jsonl",
        "train.jsonl",
        "validation.jsonl",
    ]


def _mount_tmpfs(path: Path, size: str) -> str | None:
    """Mount a small tmpfs at ``path``; the reason when the machine does not allow it."""
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    path.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    return None if result.returncode == 0 else f"mount -t tmpfs failed: {result.stderr.decode().strip()}"


@pytest.mark.slow
def test_a_full_disk_is_one_line_with_the_path_and_leaves_no_final_file(tmp_path: Path):
    disk = tmp_path / "disk"
    reason = _mount_tmpfs(disk, "1m")
    if reason:
        pytest.skip(reason)
    try:
        out = disk / "data"
        refused = _generate(out, 20000, 1)
        assert refused.returncode == 1 and "generate would write about" in refused.stderr
        assert "--force" in refused.stderr and refused.stderr.count("\n") == 1
        forced = _generate(out, 20000, 1, "--force")
        assert forced.returncode == 1
        assert forced.stderr.count("\n") == 1 and "No space left on device" in forced.stderr
        assert str(out) in forced.stderr
        assert sorted(p.name for p in out.iterdir()) == [LOCK_FILE]  # staging removed, nothing final
    finally:
        subprocess.run(["umount", str(disk)], check=False)
