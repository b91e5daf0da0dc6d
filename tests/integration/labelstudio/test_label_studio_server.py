"""Push and pull against a real Label Studio server (see conftest.py): no duplicates, spans intact."""

from __future__ import annotations

import json
import socket
import time
import uuid

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from active_learning.batch import BatchItem, text_hash
from active_learning.label_studio import LabelStudioTarget, gold_records, pull_annotations, push_batch
from active_learning.label_studio import push as push_module
from active_learning.label_studio.convert import accepted_task
from active_learning.label_studio.pull import pull_from_file
from nerloop.cli.app import app
from nerloop.records import Entity, TaggedQuery
from nerloop.store import GoldLabel, LabelTask, open_store, session_scope

pytestmark = pytest.mark.labelstudio

ASTRAL = "本月菏泽𠀀供电所😀投诉个数"  # 𠀀 outside the BMP, an emoji after it


def _item(text: str, spans: list[tuple[str, int, int]], uncertainty: float = 0.5) -> BatchItem:
    record = TaggedQuery(text, tuple(Entity(t, s, e, text[s:e], score=0.6) for t, s, e in spans))
    return BatchItem(None, text_hash(text), record, uncertainty, "tagger-v1", "mnlp")


@pytest.fixture
def engine(tmp_path):
    return open_store(f"sqlite:///{tmp_path / 'store.db'}")


@pytest.fixture
def target(label_studio):
    return LabelStudioTarget(url=label_studio.url, token=label_studio.token, project=f"test-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def client(label_studio):
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=label_studio.url, api_key=label_studio.token)


def _tasks(client, project_id: int) -> list:
    return list(client.tasks.list(project=project_id, fields="all", page_size=100))


def _label_tasks(engine) -> dict[str, LabelTask]:
    with session_scope(engine) as session:
        return {row.text_hash: row for row in session.scalars(select(LabelTask))}


def _region(text: str, label: str, start: int, end: int) -> dict:
    return {
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]},
    }


def test_annotations_made_in_label_studio_come_back_as_gold(engine, target, client):
    corrected = "上季度济南长清区投诉"
    skipped = "今天青岛停电次数"
    items = [
        _item(ASTRAL, [("Date", 0, 2), ("City", 2, 4), ("Substation", 4, 8), ("Indicator", 9, 11)], 0.9),
        _item(corrected, [("Date", 0, 3), ("City", 3, 5), ("Indicator", 8, 10)], 0.7),  # misses 长清区
        _item(skipped, [("Date", 0, 2), ("City", 2, 4)], 0.2),
    ]
    report = push_batch(engine, items, target)
    assert report.imported == 3
    assert client.projects.get(report.project_id).model_version == "tagger-v1"  # the score column shows
    by_text = {t.data["text"]: t for t in _tasks(client, report.project_id)}
    astral_task = by_text[ASTRAL]
    assert astral_task.data["nerloop_key"] == text_hash(ASTRAL) and astral_task.data["uncertainty"] == 0.9
    prediction = astral_task.predictions[0]
    assert prediction.model_version == "tagger-v1" and prediction.score == pytest.approx(0.6)
    assert [r["value"]["text"] for r in prediction.result] == ["本月", "菏泽", "𠀀供电所", "投诉"]

    # The annotator accepts the astral pre-annotation, adds the missed Company to the second, skips the third.
    client.annotations.create(id=astral_task.id, result=prediction.result, was_cancelled=False)
    fixed = [*by_text[corrected].predictions[0].result, _region(corrected, "Company", 5, 8)]
    client.annotations.create(id=by_text[corrected].id, result=fixed, was_cancelled=False)
    client.annotations.create(id=by_text[skipped].id, result=[], was_cancelled=True)

    pulled = pull_annotations(engine, target)
    assert (pulled.added, pulled.skipped, pulled.problems) == (2, 1, [])
    gold = {r.text: r for r in gold_records(engine)}
    assert [(e.type, e.text) for e in gold[ASTRAL].entities] == [
        ("Date", "本月"),
        ("City", "菏泽"),
        ("Substation", "𠀀供电所"),
        ("Indicator", "投诉"),
    ]
    assert ("Company", 5, 8, "长清区") in [(e.type, e.start, e.end, e.text) for e in gold[corrected].entities]
    assert skipped not in gold
    statuses = {h: row.status for h, row in _label_tasks(engine).items()}
    assert statuses == {
        text_hash(ASTRAL): "annotated",
        text_hash(corrected): "annotated",
        text_hash(skipped): "skipped",
    }
    with session_scope(engine) as session:
        row = session.scalar(select(GoldLabel).where(GoldLabel.text_hash == text_hash(corrected)))
        assert row.annotator and row.ls_task_id == by_text[corrected].id and row.annotated_at is not None

    again = pull_annotations(engine, target)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)


def test_pushing_twice_creates_no_duplicate_task(engine, target, client):
    items = [_item(f"本月济南{i}号所投诉", [("City", 2, 4)]) for i in range(5)]
    first = push_batch(engine, items, target)
    second = push_batch(engine, [*items, _item(ASTRAL, [("City", 2, 4)])], target)
    assert (first.imported, second.imported, second.already_pushed) == (5, 1, 5)
    assert len(_tasks(client, first.project_id)) == 6


def test_a_crash_between_import_and_bookkeeping_pushes_nothing_twice(engine, target, client, monkeypatch):
    items = [_item(f"上月菏泽{i}号所意见", [("City", 2, 4)]) for i in range(4)]

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed after the import, before our commit")

    with monkeypatch.context() as patch:
        patch.setattr(push_module, "_record_pushed", crash)
        with pytest.raises(KeyboardInterrupt):
            push_batch(engine, items, target)
    assert _label_tasks(engine) == {}
    retry = push_batch(engine, items, target)
    assert (retry.imported, retry.already_on_server) == (0, 4)
    assert len(_tasks(client, retry.project_id)) == 4
    assert {row.ls_task_id for row in _label_tasks(engine).values()} == {t.id for t in _tasks(client, retry.project_id)}


def test_an_annotation_with_drifted_spans_is_reported_not_stored(engine, target, client):
    report = push_batch(engine, [_item(ASTRAL, [("City", 2, 4)])], target)
    task = _tasks(client, report.project_id)[0]
    drifted = _region(ASTRAL, "Substation", 4, 8)
    drifted["value"].update(start=5, end=9)  # UTF-16 style drift after 𠀀: offsets shifted by one
    client.annotations.create(id=task.id, result=[drifted], was_cancelled=False)
    pulled = pull_annotations(engine, target)
    assert pulled.added == 0 and len(pulled.problems) == 1
    assert "drifted" in pulled.problems[0] and str(task.id) in pulled.problems[0]
    assert gold_records(engine) == []


def test_a_task_deleted_in_label_studio_is_marked_deleted(engine, target, client):
    report = push_batch(
        engine, [_item("本月济南投诉", [("City", 2, 4)]), _item("本月青岛投诉", [("City", 2, 4)])], target
    )
    client.tasks.delete(str(report.task_ids[0]))
    assert pull_annotations(engine, target).deleted == 1
    assert sorted(row.status for row in _label_tasks(engine).values()) == ["deleted", "pushed"]


def test_a_file_push_imported_annotated_and_exported_comes_back_as_gold(engine, client, label_studio, tmp_path):
    out = tmp_path / "batch.json"
    push_batch(engine, [_item(ASTRAL, [("City", 2, 4)]), _item("本月济南投诉", [("City", 2, 4)])], out)
    from nerloop.convert.label_studio import labeling_config
    from nerloop.domain import load_domain

    project = client.projects.create(
        title=f"air-gapped-{uuid.uuid4().hex[:6]}", label_config=labeling_config(load_domain())
    )
    client.projects.import_tasks(project.id, request=json.loads(out.read_text("utf-8")))
    task = next(t for t in _tasks(client, project.id) if t.data["text"] == ASTRAL)
    client.annotations.create(id=task.id, result=[_region(ASTRAL, "Substation", 4, 8)], was_cancelled=False)
    export = httpx.get(
        f"{label_studio.url}/api/projects/{project.id}/export",
        params={"exportType": "JSON"},
        headers={"Authorization": f"Token {label_studio.token}"},
        timeout=60,
    )
    exported = tmp_path / "export.json"
    exported.write_bytes(export.content)
    report = pull_from_file(engine, exported)
    assert report.added == 1
    assert [(e.type, e.text) for e in gold_records(engine)[0].entities] == [("Substation", "𠀀供电所")]
    assert _label_tasks(engine)[text_hash(ASTRAL)].status == "annotated"
    assert pull_from_file(engine, exported).added == 0


def test_push_and_pull_of_a_thousand_tasks_take_seconds(engine, target, client):
    items = [_item(f"本月济南{i}号所投诉", [("Date", 0, 2), ("City", 2, 4)], uncertainty=i / 1000) for i in range(1000)]
    start = time.perf_counter()
    report = push_batch(engine, items, target)
    push_seconds = time.perf_counter() - start
    assert report.imported == 1000

    annotated = client.projects.create(
        title=f"bulk-{uuid.uuid4().hex[:6]}", label_config=client.projects.get(report.project_id).label_config
    )
    client.projects.import_tasks(annotated.id, request=[accepted_task(item) for item in items])
    start = time.perf_counter()
    pulled = pull_annotations(engine, LabelStudioTarget(url=target.url, token=target.token, project=str(annotated.id)))
    pull_seconds = time.perf_counter() - start
    print(f"push of 1,000 tasks: {push_seconds:.1f} s; pull of 1,000 annotated tasks: {pull_seconds:.1f} s")
    assert pulled.added == 1000
    assert push_seconds < 60 and pull_seconds < 60


runner = CliRunner()


def _push_cli(records, db, *extra, env=None):
    return runner.invoke(app, ["al", "push", "--from-records", str(records), "--db", db, *extra], env=env)


@pytest.fixture
def records(tmp_path):
    path = tmp_path / "tagged.jsonl"
    path.write_text(_item(ASTRAL, [("City", 2, 4)]).record.to_json() + "\n", "utf-8")
    return path


@pytest.mark.parametrize("failure", ["server down", "wrong token", "project deleted"])
def test_push_failures_are_one_line_errors_and_nothing_is_marked_pushed(
    failure, label_studio, client, records, tmp_path
):
    db = f"sqlite:///{tmp_path / 'store.db'}"
    url, token, project = label_studio.url, label_studio.token, f"cli-{uuid.uuid4().hex[:6]}"
    if failure == "server down":
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    elif failure == "wrong token":
        token = "0" * 40
    else:
        created = client.projects.create(title=project, label_config="<View></View>")
        client.projects.delete(created.id)
        project = str(created.id)
    result = _push_cli(records, db, "--url", url, "--project", project, env={"NERLOOP_LS_TOKEN": token})
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert token not in result.output and label_studio.token not in result.output
    assert _label_tasks(open_store(db)) == {}
    pulled = runner.invoke(
        app, ["al", "pull", "--db", db, "--url", url, "--project", project], env={"NERLOOP_LS_TOKEN": token}
    )
    assert pulled.exit_code == 1 and len(pulled.stderr.strip().splitlines()) == 1, pulled.stderr
    assert token not in pulled.output


def test_a_reused_project_whose_labels_do_not_fit_is_refused_and_nothing_is_pushed(
    label_studio, client, records, tmp_path
):
    db = f"sqlite:///{tmp_path / 'store.db'}"
    project = f"foreign-{uuid.uuid4().hex[:6]}"
    created = client.projects.create(
        title=project,
        label_config='<View><Labels name="label" toName="text"><Label value="Date"/></Labels>'
        '<Text name="text" value="$text"/></View>',
    )
    env = {"NERLOOP_LS_TOKEN": label_studio.token}
    result = _push_cli(records, db, "--url", label_studio.url, "--project", project, env=env)
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: project '{project}' (id {created.id})") and "lacks the label(s) Province" in line
    assert _label_tasks(open_store(db)) == {}
    assert _tasks(client, created.id) == []


def test_push_and_pull_through_the_cli_with_the_environment(label_studio, records, tmp_path):
    db = f"sqlite:///{tmp_path / 'store.db'}"
    env = {"NERLOOP_LS_URL": label_studio.url, "NERLOOP_LS_TOKEN": label_studio.token}
    project = f"cli-{uuid.uuid4().hex[:6]}"
    pushed = runner.invoke(
        app, ["al", "push", "--from-records", str(records), "--db", db, "--project", project, "--json"], env=env
    )
    assert pushed.exit_code == 0, pushed.output
    assert json.loads(pushed.stdout)["imported"] == 1
    assert label_studio.token not in pushed.output
    pulled = runner.invoke(app, ["al", "pull", "--db", db, "--project", project, "--json"], env=env)
    assert pulled.exit_code == 0 and json.loads(pulled.stdout)["added"] == 0
    with session_scope(open_store(db)) as session:
        assert session.scalar(select(func.count()).select_from(LabelTask)) == 1
