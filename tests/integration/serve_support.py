"""Shared by the serving tests: a tiny tagger registered as champion, and ``nerloop serve`` as a child process.

The model is trained once per test session into the session's base temporary directory, so
the serving tests and the Label Studio serving test (two conftest directories) share it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REF = dt.date(2026, 11, 25)
STEPS = dict(max_steps=30, eval_steps=15, batch_size=16, early_stopping_patience=0)
_LISTENING = re.compile(r"serving (\S+) on (http://\S+) ")


@dataclass(frozen=True)
class TinyModel:
    path: Path
    version: str
    store: str  # a SQLite URL where it is registered and promoted
    data: Path  # the generate output it was trained on


def tiny_model(base: Path) -> TinyModel:
    """A tiny calibrated tagger in ``base/serve-model`` (trained once, reused), champion of ``base/serve-store.db``."""
    import torch

    from inference.fit import train_calibrated
    from nerloop.store import open_store
    from nerloop.store.registry import champion, promote
    from trainer.config import TrainConfig
    from trainer.data import DataSpec
    from trainer.model_dir import read_manifest

    root = base / "serve-model"
    model, data, store = root / "tiny", root / "data", f"sqlite:///{root / 'store.db'}"
    if not (model / "nerloop_model.json").is_file():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        done = subprocess.run(
            [sys.executable, "-m", "nerloop", "generate", "--out", str(data), "-n", "400", "--seed", "5"]
            + ["--reference-date", REF.isoformat(), "--db", f"sqlite:///{root / 'gen.db'}"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        torch.set_num_threads(1)
        train_calibrated(TrainConfig(base="tiny", **STEPS), [DataSpec(data)], model, dev=None, engine=open_store(store))
    version = read_manifest(model).version
    engine = open_store(store)
    current = champion(engine)
    if current is None or current.version != version:
        promote(engine, version)
    return TinyModel(model, version, store, data)


def copy_as_version(model: Path, out: Path, version: str) -> Path:
    """A copy of ``model`` under another version (same weights): a second model for hot-swap tests."""
    shutil.copytree(model, out)
    manifest = json.loads((out / "nerloop_model.json").read_text("utf-8"))
    manifest["version"] = version
    (out / "nerloop_model.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return out


@dataclass
class ServerProcess:
    process: subprocess.Popen
    url: str
    version: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text("utf-8", "replace")


@contextmanager
def running_server(
    args: Sequence[str], log: Path, *, env: dict[str, str] | None = None, timeout: float = 120
) -> Iterator[ServerProcess]:
    """``nerloop serve ARGS --port 0`` until the block ends (then SIGTERM, and SIGKILL after 20 s)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "nerloop", "serve", "--port", "0", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            found = _LISTENING.search(log.read_text("utf-8", "replace"))
            if found:
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"nerloop serve did not start (exit {process.poll()}): {log.read_text('utf-8')[-2000:]}"
                )
            time.sleep(0.1)
        yield ServerProcess(process, found.group(2), found.group(1), log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
