"""Micro-batching: requests gathered into batches, order kept, a bounded queue, a drained stop."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from inference.serving.batcher import MicroBatcher, chunks
from inference.serving.errors import Overloaded

DAY = dt.date(2026, 11, 25)


class Recorder:
    """A stand-in model: upper-cases texts and remembers each call's size; can be held at a gate."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, dt.date, bool]] = []
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, texts: list[str], reference: dt.date, explain: bool) -> list[str]:
        self.gate.wait(10)
        self.calls.append((len(texts), reference, explain))
        return [t.upper() for t in texts]


def _batcher(run, **kwargs) -> MicroBatcher:
    settings = dict(max_batch=8, max_wait_s=0.05, max_queue=32) | kwargs
    batcher = MicroBatcher(run, **settings)
    batcher.start()
    return batcher


def test_concurrent_single_queries_share_one_batch_and_keep_their_results() -> None:
    run = Recorder()
    run.gate.clear()
    batcher = _batcher(run)
    first = batcher.submit(["a"], DAY)  # taken at once, then held at the gate
    time.sleep(0.1)
    futures = [batcher.submit([f"q{i}"], DAY) for i in range(6)]
    run.gate.set()
    assert first.result(5) == ["A"] and [f.result(5) for f in futures] == [[f"Q{i}"] for i in range(6)]
    assert [c[0] for c in run.calls] == [1, 6]
    batcher.stop()


def test_a_lone_query_waits_at_most_max_wait() -> None:
    batcher = _batcher(Recorder(), max_wait_s=0.02)
    started = time.perf_counter()
    assert batcher.submit(["x"], DAY).result(5) == ["X"]
    assert time.perf_counter() - started < 0.5
    batcher.stop()


def test_jobs_with_other_dates_or_explain_run_as_separate_calls_of_one_batch() -> None:
    run = Recorder()
    run.gate.clear()
    batcher = _batcher(run)
    batcher.submit(["hold"], DAY)
    time.sleep(0.1)
    a = batcher.submit(["a"], DAY)
    b = batcher.submit(["b"], DAY + dt.timedelta(days=1))
    c = batcher.submit(["c"], DAY, explain=True)
    run.gate.set()
    assert (a.result(5), b.result(5), c.result(5)) == (["A"], ["B"], ["C"])
    assert sorted(run.calls[1:], key=str) == sorted(
        [(1, DAY, False), (1, DAY + dt.timedelta(days=1), False), (1, DAY, True)], key=str
    )
    batcher.stop()


def test_past_max_queue_submissions_are_refused_at_once() -> None:
    run = Recorder()
    run.gate.clear()
    batcher = _batcher(run, max_batch=4, max_queue=8)
    batcher.submit(["busy"], DAY)  # the worker holds this one
    time.sleep(0.1)
    queued = [batcher.submit(["a", "b", "c", "d"], DAY) for _ in range(2)]
    assert batcher.depth == 8
    with pytest.raises(Overloaded, match="--max-queue 8"):
        batcher.submit(["one more"], DAY)
    run.gate.set()
    assert all(f.result(5) == ["A", "B", "C", "D"] for f in queued)
    batcher.stop()


def test_stop_finishes_every_queued_job_and_then_refuses() -> None:
    run = Recorder()
    run.gate.clear()
    batcher = _batcher(run, max_batch=2)
    futures = [batcher.submit([str(i)], DAY) for i in range(10)]
    stopper = threading.Thread(target=batcher.stop)
    stopper.start()
    time.sleep(0.05)
    run.gate.set()
    stopper.join(10)
    assert [f.result(0) for f in futures] == [[str(i)] for i in range(10)]
    with pytest.raises(Overloaded, match="shutting down"):
        batcher.submit(["late"], DAY)


def test_a_failing_model_fails_its_batch_and_the_worker_goes_on() -> None:
    calls = []

    def run(texts, reference, explain):
        calls.append(texts)
        if texts == ["boom"]:
            raise RuntimeError("model broke")
        return texts

    batcher = _batcher(run, max_wait_s=0)
    with pytest.raises(RuntimeError, match="model broke"):
        batcher.submit(["boom"], DAY).result(5)
    assert batcher.submit(["fine"], DAY).result(5) == ["fine"]
    batcher.stop()


def test_jobs_are_at_most_one_batch_and_chunks_split_longer_lists() -> None:
    batcher = MicroBatcher(lambda t, r, e: t, max_batch=2, max_wait_s=0, max_queue=4)
    with pytest.raises(ValueError):
        batcher.submit(["a", "b", "c"], DAY)
    assert chunks(list("abcde"), 2) == [["a", "b"], ["c", "d"], ["e"]] and chunks([], 2) == []
