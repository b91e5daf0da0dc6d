"""The model process's side of the socket: whole frames from partial reads, and batches gathered by deadline."""

from __future__ import annotations

import datetime as dt
import socket
import time

from inference.serving.channel import FrameReader, FrameWriter, frame, split_frames
from inference.serving.model_process import Inbox

DAY = dt.date(2026, 11, 25)


def test_frames_split_only_when_whole_and_keep_the_rest() -> None:
    data = frame(("a", [1, 2])) + frame("😀𠀀")
    buffer = bytearray(data[:-3])
    assert split_frames(buffer) == [("a", [1, 2])]
    buffer += data[-3:]
    assert split_frames(buffer) == ["😀𠀀"] and buffer == bytearray()


def test_a_reader_returns_messages_in_order_then_end_of_file() -> None:
    ours, theirs = socket.socketpair()
    writer = FrameWriter(ours)
    for i in range(3):
        writer.send(i)
    ours.close()
    reader = FrameReader(theirs)
    assert [reader.recv() for _ in range(3)] == [0, 1, 2]
    try:
        reader.recv()
    except EOFError:
        pass
    else:
        raise AssertionError("no end of file")


def _job(ident: int, texts: list[str], sent: float | None = None) -> tuple:
    return (ident, texts, DAY.isoformat(), False, time.monotonic() if sent is None else sent)


def test_waiting_jobs_form_one_batch_and_one_that_does_not_fit_waits_for_the_next() -> None:
    ours, theirs = socket.socketpair()
    writer = FrameWriter(ours)
    for ident, texts in enumerate([["a"], ["b", "c"], ["d", "e", "f"]]):
        writer.send(_job(ident, texts))
    inbox = Inbox(theirs)
    first = inbox.take(max_batch=4, max_wait_s=0.05)
    assert [j.ident for j in first] == [0, 1] and first[0].reference == DAY
    writer.send(_job(3, ["g"]))
    assert [j.ident for j in inbox.take(max_batch=4, max_wait_s=0.05)] == [2, 3]
    ours.close()
    assert inbox.take(max_batch=4, max_wait_s=0.05) is None


def test_a_job_that_queued_behind_a_busy_model_does_not_wait_again() -> None:
    ours, theirs = socket.socketpair()
    FrameWriter(ours).send(_job(0, ["a"], sent=time.monotonic() - 10))
    started = time.monotonic()
    assert [j.ident for j in Inbox(theirs).take(max_batch=8, max_wait_s=5.0)] == [0]
    assert time.monotonic() - started < 1.0


def test_a_lone_fresh_job_waits_at_most_max_wait_for_company() -> None:
    ours, theirs = socket.socketpair()
    FrameWriter(ours).send(_job(0, ["a"]))
    started = time.monotonic()
    assert len(Inbox(theirs).take(max_batch=8, max_wait_s=0.05)) == 1
    assert 0.03 < time.monotonic() - started < 1.0
