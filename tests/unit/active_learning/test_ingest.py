"""Log ingest: layouts, encodings, normalization, exact and near duplicates, idempotent re-ingest."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from active_learning.batch import text_hash
from active_learning.ingest import IngestConfig, LogFormat, ingest_file, ingest_logs
from active_learning.ingest.errors import IngestError
from active_learning.ingest.near_duplicates import NearDuplicateFinder
from nerloop.store import QueryLog, open_store, session_scope

QUERY = "本月菏泽巨野县供电公司麒麟供电所投诉个数"


@pytest.fixture
def engine(tmp_path):
    return open_store(f"sqlite:///{tmp_path / 'store.db'}")


def _rows(engine) -> list[QueryLog]:
    with session_scope(engine) as session:
        return list(session.scalars(select(QueryLog).order_by(QueryLog.id)))


def test_plain_text_is_normalized_and_exact_duplicates_are_stored_once(engine, tmp_path):
    log = tmp_path / "q.log"
    log.write_text(f"{QUERY}\n\n  本月  济南\t投诉  \nＡＢＣ１２３ 𠀀所😀\n{QUERY}\n", "utf-8")
    report = ingest_file(engine, log)
    assert (report.lines, report.added, report.duplicates, report.empty) == (5, 3, 1, 1)
    rows = _rows(engine)
    assert [r.text for r in rows] == [QUERY, "本月 济南 投诉", "ABC123 𠀀所😀"]
    assert [r.line for r in rows] == [1, 3, 4]
    assert all(r.text_hash == text_hash(r.text) and r.source == str(log) for r in rows)


def test_reingesting_the_same_file_adds_nothing(engine, tmp_path):
    log = tmp_path / "q.log"
    log.write_text(f"{QUERY}\n本月济南投诉\n", "utf-8")
    ingest_file(engine, log)
    again = ingest_file(engine, log)
    assert (again.added, again.duplicates) == (0, 2)
    assert len(_rows(engine)) == 2


def test_gbk_csv_column_by_name_and_time_column(engine, tmp_path):
    log = tmp_path / "q.csv"
    log.write_bytes(f"时间,问题\n2026-11-25 10:03:00,{QUERY}\n1764064980,本月济南投诉\n".encode("gbk"))
    ingest_file(engine, log, IngestConfig(column="问题", time_column="时间"))
    rows = _rows(engine)
    assert [r.text for r in rows] == [QUERY, "本月济南投诉"]
    assert [r.line for r in rows] == [2, 3]
    assert rows[0].received_at.replace(tzinfo=None) == dt.datetime(2026, 11, 25, 10, 3)


def test_utf16_tsv_with_bom_and_column_by_index(engine, tmp_path):
    log = tmp_path / "q.tsv"
    log.write_bytes(f"id\tq\n1\t{QUERY}\n2\t本月𠀀供电所投诉\n".encode("utf-16"))
    report = ingest_file(engine, log, IngestConfig(column="1"))
    assert report.added == 2
    assert [r.text for r in _rows(engine)] == [QUERY, "本月𠀀供电所投诉"]


def test_jsonl_field_and_utf8_bom(engine, tmp_path):
    log = tmp_path / "q.jsonl"
    lines = [
        json.dumps({"query": QUERY, "ts": "2026-11-25T10:00:00Z"}, ensure_ascii=False),
        "",
        '{"query": "本月济南投诉"}',
    ]
    log.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode("utf-8"))
    ingest_file(engine, log, IngestConfig(field="query", time_column="ts"))
    rows = _rows(engine)
    assert [(r.text, r.line) for r in rows] == [(QUERY, 1), ("本月济南投诉", 3)]


def test_a_file_in_no_supported_encoding_is_refused(engine, tmp_path):
    log = tmp_path / "q.log"
    log.write_bytes(b"\x00\x01\x02 binary")
    with pytest.raises(IngestError, match="encoding|UTF-8"):
        ingest_file(engine, log)


@pytest.mark.parametrize(
    ("config", "content", "message"),
    [
        (IngestConfig(format=LogFormat.csv, column="nope"), "a,b\nx,y\n", "no --column 'nope'"),
        (IngestConfig(format=LogFormat.jsonl), '{"q": "x"}\n', "no string field 'text'"),
        (IngestConfig(format=LogFormat.jsonl), "{oops\n", "not valid JSON"),
    ],
)
def test_malformed_logs_name_the_problem(engine, tmp_path, config, content, message):
    log = tmp_path / "q.txt"
    log.write_text(content, "utf-8")
    with pytest.raises(IngestError, match=message):
        ingest_file(engine, log, config)


def test_near_duplicates_are_stored_and_point_at_their_original(engine, tmp_path):
    log = tmp_path / "q.log"
    log.write_text(f"{QUERY}\n本月菏泽巨野县供电公司麒麟供电所的投诉个数\n上季度济南停电次数\n", "utf-8")
    report = ingest_file(engine, log)
    assert report.near_duplicates == 1
    rows = _rows(engine)
    assert rows[1].near_duplicate_of == text_hash(QUERY)
    assert rows[0].near_duplicate_of is None and rows[2].near_duplicate_of is None


def test_near_duplicates_are_found_across_files_of_one_run(engine, tmp_path):
    first, second = tmp_path / "a.log", tmp_path / "b.log"
    first.write_text(QUERY + "\n", "utf-8")
    second.write_text(QUERY + "？\n", "utf-8")
    assert ingest_logs(engine, [first, second]).near_duplicates == 1


def test_near_duplicates_of_queries_stored_by_an_earlier_run_are_marked(engine, tmp_path):
    yesterday, today = tmp_path / "day1.log", tmp_path / "day2.log"
    yesterday.write_text(f"{QUERY}\n上季度济南停电次数\n", "utf-8")
    today.write_text(f"{QUERY}？\n上季度济南的停电次数\n", "utf-8")
    assert ingest_file(engine, yesterday).near_duplicates == 0
    assert ingest_logs(engine, [today]).near_duplicates == 2  # a separate run, as from cron the next day
    rows = _rows(engine)
    assert [r.near_duplicate_of for r in rows[2:]] == [text_hash(QUERY), text_hash("上季度济南停电次数")]


def test_a_history_of_zero_looks_within_the_run_only(engine, tmp_path):
    yesterday, today = tmp_path / "day1.log", tmp_path / "day2.log"
    yesterday.write_text(QUERY + "\n", "utf-8")
    today.write_text(QUERY + "？\n", "utf-8")
    ingest_file(engine, yesterday)
    assert ingest_file(engine, today, IngestConfig(near_duplicate_history=0)).near_duplicates == 0
    with pytest.raises(IngestError, match="near_duplicate_history"):
        IngestConfig(near_duplicate_history=-1)


def test_finder_threshold_100_turns_near_duplicates_off():
    finder = NearDuplicateFinder(100)
    finder.remember(QUERY, "a")
    assert finder.find(QUERY + "？") is None


def test_finder_compares_queries_sharing_only_their_start_or_their_end():
    finder = NearDuplicateFinder(85)
    finder.remember(QUERY, "a")
    assert finder.find("上月" + QUERY[2:]) == "a"  # the start differs, the end is shared
    assert finder.find(QUERY[:-2] + "几个") == "a"  # the end differs, the start is shared
    assert finder.find("上季度济南停电次数") is None


def test_finder_memory_is_bounded_by_window_and_blocks():
    finder = NearDuplicateFinder(90, window=4, max_blocks=10)
    for i in range(1000):
        finder.remember(f"{i:04d}查询文本{i:04d}", str(i))
    assert len(finder._blocks) <= 10
    assert all(len(texts) <= 4 for texts, _ in finder._blocks.values())


def test_duplicates_across_insert_batches_are_caught_and_progress_reaches_the_end(engine, tmp_path):
    log = tmp_path / "q.log"
    log.write_text("".join(f"查询{i % 7}号供电所\n" for i in range(50)), "utf-8")
    seen = []
    report = ingest_file(
        engine, log, IngestConfig(batch_size=3, near_duplicate_threshold=100), progress=lambda d, t: seen.append((d, t))
    )
    assert (report.added, report.duplicates) == (7, 43)
    assert seen[-1] == (log.stat().st_size, log.stat().st_size)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "utf-16"])
def test_encoding_is_detected_from_a_first_block_that_ends_inside_a_character(engine, tmp_path, encoding):
    lines = [f"本月菏泽巨野{i}号供电所投诉个数" for i in range(6000)]  # > 64 KiB in every encoding
    log = tmp_path / "big.log"
    log.write_bytes("\n".join(lines).encode(encoding))
    report = ingest_file(engine, log, IngestConfig(near_duplicate_threshold=100))
    assert report.added == 6000
    assert _rows(engine)[-1].text == lines[-1]
