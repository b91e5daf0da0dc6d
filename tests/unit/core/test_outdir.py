"""Output directories as transactions: the lock, the commit, and --verify."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nerloop.errors import DatasetBroken, OutputBusy
from nerloop.outdir import LOCK_FILE, MANIFEST, STAGING, OutputTransaction, output_lock, verify_output

HOLD_LOCK = "import sys, time\nfrom nerloop.outdir import output_lock\nwith output_lock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(60)\n"


def _commit(out: Path, files: dict[str, str], stale: tuple[str, ...] = ()) -> None:
    transaction = OutputTransaction(out)
    staging = transaction.begin()
    for name, text in files.items():
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        (staging / name).write_text(text, "utf-8")
    transaction.commit({"run": sorted(files)}, stale_names=stale)


def test_a_second_writer_fails_at_once_naming_pid_and_start(tmp_path: Path):
    with output_lock(tmp_path):
        started = time.perf_counter()
        with pytest.raises(OutputBusy) as caught, output_lock(tmp_path):
            pass
        assert time.perf_counter() - started < 1
    assert f"pid {os.getpid()} (started 20" in str(caught.value) and "\n" not in str(caught.value)
    with output_lock(tmp_path):  # released when the block ends
        pass


def test_the_lock_of_a_killed_process_is_released(tmp_path: Path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(OutputBusy, match=f"pid {holder.pid} "):
            output_lock(tmp_path).__enter__()
        with pytest.raises(DatasetBroken, match=f"being written by pid {holder.pid}"):
            verify_output(tmp_path)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with output_lock(tmp_path):
        assert (tmp_path / LOCK_FILE).is_file()


def test_commit_lists_every_file_with_lines_and_hash_and_verify_accepts_it(tmp_path: Path):
    _commit(tmp_path, {"train.jsonl": "{}\n{}\n", "hf/train/data.arrow": "x"})
    manifest = json.loads((tmp_path / MANIFEST).read_text("utf-8"))
    assert [(f["path"], f["lines"], f["bytes"]) for f in manifest["files"]] == [
        ("hf/train/data.arrow", 0, 1),
        ("train.jsonl", 2, 6),
    ]
    assert verify_output(tmp_path)["run"] == ["hf/train/data.arrow", "train.jsonl"]
    assert not (tmp_path / STAGING).exists()


def test_a_rerun_removes_files_of_the_previous_run_it_does_not_write(tmp_path: Path):
    _commit(tmp_path, {"train.jsonl": "a\n", "train_alpaca.json": "[]\n", "hf/x": "1"})
    (tmp_path / "test.bio.jsonl").write_text("from an older version\n", "utf-8")
    (tmp_path / "notes.txt").write_text("the user's own file\n", "utf-8")
    _commit(tmp_path, {"train.jsonl": "b\n"}, stale=("test.bio.jsonl",))
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST, "notes.txt", "train.jsonl"]
    verify_output(tmp_path)


@pytest.mark.parametrize("fail_at", [1, 2])
def test_a_commit_killed_between_renames_leaves_complete_files_and_no_manifest(tmp_path, monkeypatch, fail_at):
    _commit(tmp_path, {"train.jsonl": "old\n", "test.jsonl": "old\n"})
    real_replace, calls = os.replace, []

    def dying_replace(src, dst):
        calls.append(dst)
        if len(calls) == fail_at:
            raise KeyboardInterrupt  # stands for kill -9 in the middle of the commit
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        _commit(tmp_path, {"train.jsonl": "new\n", "test.jsonl": "new\n"})
    monkeypatch.undo()
    for name in ("train.jsonl", "test.jsonl"):
        assert (tmp_path / name).read_text("utf-8") in ("old\n", "new\n")
    with pytest.raises(DatasetBroken, match="manifest.json: missing; the last run .* did not finish"):
        verify_output(tmp_path)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda out: (out / "train.jsonl").write_text("{}\n", "utf-8"), r"train.jsonl: bytes 3, the manifest says 6"),
        (lambda out: (out / "train.jsonl").write_text("{}\n{]\n", "utf-8"), r"train.jsonl: sha256"),
        (lambda out: (out / "train.jsonl").unlink(), r"train.jsonl: listed in the manifest but missing"),
        (lambda out: (out / MANIFEST).write_text('{"files": ["train.jsonl"]}', "utf-8"), "older nerloop"),
        (lambda out: (out / MANIFEST).write_text("{", "utf-8"), "not a valid manifest"),
    ],
)
def test_verify_names_the_file_that_is_wrong(tmp_path: Path, damage, message):
    _commit(tmp_path, {"train.jsonl": "{}\n{}\n"})
    damage(tmp_path)
    with pytest.raises(DatasetBroken, match=message):
        verify_output(tmp_path)


def test_a_run_killed_before_its_commit_leaves_the_previous_data_set_intact(tmp_path: Path):
    _commit(tmp_path, {"train.jsonl": "old\n"})
    transaction = OutputTransaction(tmp_path)
    (transaction.begin() / "train.jsonl").write_text("half", "utf-8")  # then the process dies
    assert verify_output(tmp_path)["run"] == ["train.jsonl"]
    _commit(tmp_path, {"train.jsonl": "new\n"})  # the next run drops the dead run's staging
    assert (tmp_path / "train.jsonl").read_text("utf-8") == "new\n" and not (tmp_path / STAGING).exists()


def test_a_manifest_naming_paths_outside_the_directory_removes_nothing_outside(tmp_path):
    import json

    from nerloop.outdir import OutputTransaction

    parent = tmp_path / "parent"
    out = parent / "out"
    out.mkdir(parents=True)
    (parent / "sibling.txt").write_text("keep", "utf-8")
    files = [{"path": p} for p in ("../sibling.txt", "..", "/etc", "", "./x", "old.jsonl")]
    (out / "manifest.json").write_text(json.dumps({"files": files}), "utf-8")
    (out / "old.jsonl").write_text("{}\n", "utf-8")
    transaction = OutputTransaction(out)
    staging = transaction.begin()
    (staging / "train.jsonl").write_text("{}\n", "utf-8")
    transaction.commit({"config": {}})
    assert (parent / "sibling.txt").read_text("utf-8") == "keep"
    assert (out / "train.jsonl").is_file() and not (out / "old.jsonl").exists()
