"""Label Studio's "Start Training" → one ``nerloop cycle`` in a subprocess, debounced, never two at once.

The cycle is the existing, resumable ``nerloop cycle`` (pull → retrain → evaluate → promote →
score → push), run as its own process: training must not share the server's cores' GIL or its
memory, and a crash there must not take the server down. The cycle takes its own file lock,
so a cron cycle already running makes this one exit with a message instead of a second round;
the server itself keeps at most one child at a time and ignores requests within the debounce
window of the last start. A promotion the cycle makes reaches the server through the champion
watcher, like any other.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

log = logging.getLogger("nerloop.serve")


def cycle_command(config: Path | None, db: str | None, gazetteer: Path | None) -> list[str]:
    """``python -m nerloop cycle`` with the server's store, gazetteer and cycle config."""
    command = [sys.executable, "-m", "nerloop", "cycle"]
    if config is not None:
        command += ["--config", str(config)]
    if db is not None:
        command += ["--db", db]
    if gazetteer is not None:
        command += ["--gazetteer", str(gazetteer)]
    return command


class RetrainTrigger:
    """Starts ``command`` on request unless a run is alive or one started less than ``debounce_s`` ago.

    Args:
        command: the argv to run (:func:`cycle_command`).
        debounce_s: requests this soon after a start are answered ``debounced``.
        on_outcome: told ``started``/``running``/``debounced``/``failed``/``finished``/``exited`` (metrics).
        log_dir: where each run's output goes (``cycle-<timestamp>.log``); default: discarded.
    """

    def __init__(
        self,
        command: Sequence[str],
        *,
        debounce_s: float,
        on_outcome: Callable[[str], None] | None = None,
        log_dir: Path | None = None,
    ) -> None:
        self.command = list(command)
        self.debounce_s = debounce_s
        self._on_outcome = on_outcome or (lambda outcome: None)
        self._log_dir = log_dir
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._started_at: float | None = None
        self.runs = 0

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def request(self, reason: str) -> str:
        """Start a run if none is alive and none started within the debounce window; say which it was."""
        with self._lock:
            if self.running:
                outcome = "running"
            elif self._started_at is not None and time.monotonic() - self._started_at < self.debounce_s:
                outcome = "debounced"
            else:
                outcome = self._start(reason)
        self._on_outcome(outcome)
        if outcome != "started":
            log.info("retrain requested (%s): %s, nothing started", reason, outcome)
        return outcome

    def _start(self, reason: str) -> str:
        output = subprocess.DEVNULL
        if self._log_dir is not None:
            self._log_dir.mkdir(parents=True, exist_ok=True)
            output = open(self._log_dir / f"cycle-{time.strftime('%Y%m%d-%H%M%S')}.log", "ab")  # noqa: SIM115
        try:
            process = subprocess.Popen(self.command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        except OSError as exc:
            log.error("retrain requested (%s) but the cycle could not start: %s", reason, exc)
            return "failed"
        finally:
            if output is not subprocess.DEVNULL:
                output.close()
        self._process, self._started_at = process, time.monotonic()
        self.runs += 1
        log.info("retrain requested (%s): started nerloop cycle, pid %d", reason, process.pid)
        threading.Thread(target=self._reap, args=(process,), name="nerloop-cycle-reaper", daemon=True).start()
        return "started"

    def _reap(self, process: subprocess.Popen) -> None:
        code = process.wait()
        self._on_outcome("finished" if code == 0 else "exited")
        log.info("nerloop cycle (pid %d) exited with %d", process.pid, code)
