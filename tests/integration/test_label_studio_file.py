"""Air-gapped annotation: ``al push --to-file`` and ``al pull --from-file``, no server."""

from __future__ import annotations

import json

from sqlalchemy import select
from typer.testing import CliRunner

from active_learning.label_studio import gold_records
from nerloop.cli.app import app
from nerloop.records import Entity, TaggedQuery
from nerloop.store import LabelTask, open_store, session_scope

runner = CliRunner()
TEXT = "本月菏泽𠀀供电所😀投诉"


def _records(path, *records: TaggedQuery) -> None:
    path.write_text("".join(r.to_json() + "\n" for r in records), "utf-8")


def _annotate(
    task: dict, annotation_id: int, result: list | None, cancelled: bool = False, when: str = "2026-11-25T10:00:00Z"
) -> dict:
    task = dict(task, id=annotation_id + 100)
    task["annotations"] = [
        {
            "id": annotation_id,
            "completed_by": {"id": 1, "email": "a@x.cn"},
            "result": result or [],
            "was_cancelled": cancelled,
            "updated_at": when,
        }
    ]
    return task


def test_pushed_file_annotated_elsewhere_comes_back_as_gold(tmp_path):
    db = f"sqlite:///{tmp_path / 's.db'}"
    records = tmp_path / "tagged.jsonl"
    record = TaggedQuery(
        TEXT, (Entity("City", 2, 4, "菏泽", score=0.8), Entity("Substation", 4, 8, "𠀀供电所", score=0.4))
    )
    _records(records, record, TaggedQuery("上月济南投诉", (Entity("City", 2, 4, "济南"),), extra={"uncertainty": 0.9}))
    out = tmp_path / "batch.json"
    pushed = runner.invoke(
        app, ["al", "push", "--from-records", str(records), "--to-file", str(out), "--db", db, "--model-version", "m7"]
    )
    assert pushed.exit_code == 0, pushed.output
    tasks = json.loads(out.read_text("utf-8"))
    assert [t["data"]["text"] for t in tasks] == ["上月济南投诉", TEXT]  # the most uncertain first
    tasks.reverse()
    assert tasks[0]["predictions"][0]["model_version"] == "m7" and tasks[0]["predictions"][0]["score"] == 0.4
    again = runner.invoke(
        app,
        ["al", "push", "--from-records", str(records), "--to-file", str(tmp_path / "b2.json"), "--db", db, "--json"],
    )
    assert json.loads(again.stdout)["imported"] == 0

    export = tmp_path / "export.json"
    accepted = tasks[0]["predictions"][0]["result"]
    export.write_text(
        json.dumps(
            [_annotate(tasks[0], 1, accepted), _annotate(tasks[1], 2, None, cancelled=True)], ensure_ascii=False
        ),
        "utf-8",
    )
    pulled = runner.invoke(app, ["al", "pull", "--from-file", str(export), "--db", db, "--json"])
    assert pulled.exit_code == 0, pulled.output
    assert {k: json.loads(pulled.stdout)[k] for k in ("added", "skipped")} == {"added": 1, "skipped": 1}
    [gold] = gold_records(open_store(db))
    assert [(e.type, e.text, e.score) for e in gold.entities] == [
        ("City", "菏泽", None),
        ("Substation", "𠀀供电所", None),
    ]
    with session_scope(open_store(db)) as session:
        assert sorted(r.status for r in session.scalars(select(LabelTask))) == ["annotated", "skipped"]


def test_an_edited_annotation_replaces_its_gold_record(tmp_path):
    db = f"sqlite:///{tmp_path / 's.db'}"
    task = {"data": {"text": "上月济南投诉"}}
    region = {"type": "labels", "value": {"start": 2, "end": 4, "text": "济南", "labels": ["City"]}}
    first = tmp_path / "e1.json"
    first.write_text(json.dumps([_annotate(task, 5, [region])], ensure_ascii=False), "utf-8")
    second = tmp_path / "e2.json"
    more = {"type": "labels", "value": {"start": 4, "end": 6, "text": "投诉", "labels": ["Indicator"]}}
    second.write_text(
        json.dumps([_annotate(task, 5, [region, more], when="2026-11-26T10:00:00Z")], ensure_ascii=False), "utf-8"
    )
    runner.invoke(app, ["al", "pull", "--from-file", str(first), "--db", db])
    result = runner.invoke(app, ["al", "pull", "--from-file", str(second), "--db", db, "--json"])
    assert json.loads(result.stdout)["updated"] == 1
    assert [e.type for e in gold_records(open_store(db))[0].entities] == ["City", "Indicator"]


def test_drifted_spans_in_an_export_are_reported_and_not_stored(tmp_path):
    db = f"sqlite:///{tmp_path / 's.db'}"
    drifted = {
        "id": "r1",
        "type": "labels",
        "value": {"start": 5, "end": 9, "text": "𠀀供电所", "labels": ["Substation"]},
    }
    export = tmp_path / "export.json"
    export.write_text(json.dumps([_annotate({"data": {"text": TEXT}}, 9, [drifted])], ensure_ascii=False), "utf-8")
    result = runner.invoke(app, ["al", "pull", "--from-file", str(export), "--db", db, "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["added"] == 0
    assert "offsets drifted" in result.stderr and "task 109" in result.stderr
    assert gold_records(open_store(db)) == []


def test_a_file_that_is_not_a_json_export_is_a_one_line_error(tmp_path):
    export = tmp_path / "export.json"
    export.write_text('{"text": "not a list"}', "utf-8")
    result = runner.invoke(app, ["al", "pull", "--from-file", str(export), "--db", f"sqlite:///{tmp_path / 's.db'}"])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "not a Label Studio JSON export" in result.stderr


def test_cycle_file_edge_pushes_to_outbox_once_and_pulls_every_inbox_export(tmp_path, mini):
    from active_learning.batch import BatchItem, text_hash
    from active_learning.config import CycleConfig
    from active_learning.deps import default_deps

    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    deps = default_deps(CycleConfig(export_dir=str(tmp_path / "files")), mini)
    record = TaggedQuery(TEXT, (Entity("City", 2, 4, "菏泽", score=0.8),))
    items = [BatchItem(None, text_hash(TEXT), record, 0.7, "m1")]
    deps.push(engine, items)
    deps.push(engine, items)  # a resumed round pushes the same batch again: same file, nothing twice
    (batch,) = (tmp_path / "files" / "outbox").glob("batch-*.json")
    (task,) = json.loads(batch.read_text("utf-8"))
    assert deps.pull(engine) == []  # nothing annotated yet: an empty inbox
    value = {"start": 2, "end": 4, "text": "菏泽", "labels": ["City"]}
    result = [{"from_name": "label", "to_name": "text", "type": "labels", "id": "r1", "value": value}]
    (tmp_path / "files" / "inbox").mkdir()
    (tmp_path / "files" / "inbox" / "export.json").write_text(json.dumps([_annotate(task, 1, result)]), "utf-8")
    (report,) = deps.pull(engine)
    assert report.added == 1 and [g.text for g in gold_records(engine)] == [TEXT]
