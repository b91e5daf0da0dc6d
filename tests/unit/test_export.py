from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from nerloop.convert.bio import bio_to_entities
from nerloop.convert.label_studio import annotation_to_entities
from nerloop.convert.xml import xml_to_entities
from nerloop.domain import Domain, load_domain
from nerloop.errors import InputError
from nerloop.export import EXPORTERS, read_jsonl, register_exporter
from nerloop.records import DateRange, Entity, SpanError, TaggedQuery

DOMAIN = load_domain()
CHAIN = {"Province": "山东省", "City": "菏泽市", "Company": "巨野县供电公司", "Substation": "麒麟供电所"}
NO_CHAIN = dict.fromkeys(DOMAIN.hierarchy)
QILIN = "山东省/菏泽市/巨野县供电公司/麒麟供电所"
RECORDS = [
    TaggedQuery(  # DOMAIN.md's example
        "菏泽麒麟供电所意见个数",
        (
            Entity("City", 0, 2, "菏泽", id="山东省/菏泽市"),
            Entity("Substation", 2, 7, "麒麟供电所", id=QILIN),
            Entity("Indicator", 7, 9, "意见"),
        ),
        dict(CHAIN),
        date=None,
    ),
    TaggedQuery(
        "本月麒麟所 投诉",
        (
            Entity("Date", 0, 2, "本月"),
            Entity("Substation", 2, 5, "麒麟所", id=QILIN),
            Entity("Indicator", 6, 8, "投诉"),
        ),
        dict(CHAIN),
        date=DateRange(dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
        extra={"template": "t3"},
    ),
    TaggedQuery(
        "𠀀镇供电所投诉", (Entity("Substation", 0, 5, "𠀀镇供电所"), Entity("Indicator", 5, 7, "投诉")), dict(NO_CHAIN)
    ),
    TaggedQuery("今天天气怎么样", (), dict(NO_CHAIN)),
    TaggedQuery("a<b>&c 停电", (Entity("Indicator", 7, 9, "停电"),), dict(NO_CHAIN)),
]


def spans(entities) -> list[tuple[str, int, int, str]]:
    return [(e.type, e.start, e.end, e.text) for e in entities]


def completions(record: TaggedQuery) -> dict[str, str]:
    mentioned = {e.type for e in record.entities}
    return {t: v for t, v in record.resolved.items() if v and t not in mentioned}


def read_jsonl_back(out: Path, split: str) -> list[TaggedQuery]:
    back = list(read_jsonl(out / f"{split}.jsonl"))
    assert back == RECORDS
    return back


def read_bio_back(out: Path, split: str) -> list[TaggedQuery]:
    lines = (out / f"{split}.bio.jsonl").read_text("utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    return [TaggedQuery("".join(r["tokens"]), bio_to_entities("".join(r["tokens"]), r["tags"])) for r in rows]


def read_alpaca_back(out: Path, split: str) -> list[TaggedQuery]:
    items = json.loads((out / f"{split}_alpaca.json").read_text("utf-8"))
    info = json.loads((out / "dataset_info.json").read_text("utf-8"))
    assert info[f"nerloop_{split}"]["file_name"] == f"{split}_alpaca.json"
    back = []
    for item in items:
        entities, completed = xml_to_entities(item["output"], item["input"], DOMAIN)
        back.append(TaggedQuery(item["input"], entities, completed))
    assert [r.resolved for r in back] == [completions(r) for r in RECORDS]
    return back


def read_label_studio_back(out: Path, split: str) -> list[TaggedQuery]:
    tasks = json.loads((out / f"{split}_label_studio.json").read_text("utf-8"))
    assert len({t["data"]["nerloop_key"] for t in tasks}) == len(tasks)
    assert all(t["predictions"][0]["model_version"] == "generator" for t in tasks)
    return [
        TaggedQuery(t["data"]["text"], annotation_to_entities(t["data"]["text"], t["predictions"][0]["result"]))
        for t in tasks
    ]


def read_hf_back(out: Path, split: str) -> list[TaggedQuery]:
    import datasets
    import pyarrow.parquet as pq

    from nerloop.convert.hf import dataset_to_records

    back = dataset_to_records(datasets.load_from_disk(str(out / "hf" / split)))
    assert back == RECORDS
    from_parquet = [
        TaggedQuery.from_json(s) for s in pq.read_table(out / f"{split}.parquet").column("record").to_pylist()
    ]
    assert from_parquet == RECORDS
    return back


READERS: dict[str, Callable[[Path, str], list[TaggedQuery]]] = {
    "jsonl": read_jsonl_back,
    "bio": read_bio_back,
    "alpaca": read_alpaca_back,
    "label-studio": read_label_studio_back,
    "hf": read_hf_back,
}


def test_every_exporter_has_a_reader_here():
    assert set(READERS) == set(EXPORTERS)


@pytest.mark.parametrize("name", sorted(EXPORTERS))
def test_exporter_round_trips_mentions(name, tmp_path):
    paths = EXPORTERS[name]("train", iter(RECORDS), tmp_path, DOMAIN)
    assert paths and all(p.exists() for p in paths)
    back = READERS[name](tmp_path, "train")
    assert [r.text for r in back] == [r.text for r in RECORDS]
    assert [spans(r.entities) for r in back] == [spans(r.entities) for r in RECORDS]


@pytest.mark.parametrize("name", sorted(EXPORTERS))
def test_exporter_checks_spans(name, tmp_path):
    bad = TaggedQuery("菏泽投诉", (Entity("City", 0, 2, "济南"),))
    with pytest.raises(SpanError):
        EXPORTERS[name]("train", [bad], tmp_path, DOMAIN)


def test_alpaca_splits_merge_into_one_dataset_info(tmp_path):
    (tmp_path / "dataset_info.json").write_text('{"other": {"file_name": "x.json"}}', encoding="utf-8")
    for split in ("train", "validation"):
        EXPORTERS["alpaca"](split, RECORDS[:1], tmp_path, DOMAIN)
    info = json.loads((tmp_path / "dataset_info.json").read_text("utf-8"))
    assert set(info) == {"other", "nerloop_train", "nerloop_validation"}


def test_registering_a_name_twice_raises():
    with pytest.raises(ValueError, match="jsonl"):
        register_exporter("jsonl")(lambda split, records, out_dir, domain: [])


def test_new_exporter_is_registered_once():
    def export_nothing(split: str, records, out_dir: Path, domain: Domain) -> list[Path]:
        return []

    try:
        assert register_exporter("test-nothing")(export_nothing) is export_nothing
        assert EXPORTERS["test-nothing"] is export_nothing
        with pytest.raises(ValueError):
            register_exporter("test-nothing")(export_nothing)
    finally:
        EXPORTERS.pop("test-nothing", None)


def test_read_jsonl_skips_blank_lines_and_a_bom(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text("\ufeff" + RECORDS[0].to_json() + "\n\n" + RECORDS[2].to_json() + "\n", encoding="utf-8")
    assert list(read_jsonl(path)) == [RECORDS[0], RECORDS[2]]


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"entities": []}', "missing field 'text'"),
        ('{"text": "菏泽", "entities": [{"type": "City", "start": 0, "end": 2, "text": "济南"}]}', "does not match"),
        ('{"text": "菏泽", "date": {"start": "2024-13-01", "end": "2024-01-01"}}', "month"),
        ("[1, 2]", "not a tagged-query record"),
    ],
)
def test_read_jsonl_names_file_and_line_of_a_bad_record(tmp_path, bad_line, message):
    path = tmp_path / "gold.jsonl"
    path.write_text(RECORDS[0].to_json() + "\n" + bad_line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        list(read_jsonl(path))
    assert str(info.value.problems[0]).startswith(f"{path}:2: ")


def test_read_jsonl_names_the_line_that_is_not_utf8(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_bytes(RECORDS[0].to_json().encode() + b"\n" + "菏泽".encode("gbk") + b"\n")
    with pytest.raises(InputError, match=r"gold.jsonl:2: not UTF-8"):
        list(read_jsonl(path))
