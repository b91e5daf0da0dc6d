"""``generate`` → ``tag`` → ``eval`` → ``resolve`` end to end, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nerloop.records import TaggedQuery

REF = "2026-11-25"


def nerloop(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nerloop", *args], input=stdin, capture_output=True, text=True, timeout=300, cwd=cwd
    )


def generate(out: Path, db: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """The data set every test here shares: 1,200 samples, seed 3, reference date fixed."""
    return nerloop(
        "generate",
        "--out",
        str(out),
        "-n",
        "1200",
        "--seed",
        "3",
        "--reference-date",
        REF,
        "--db",
        f"sqlite:///{db}",
        *extra,
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "data"
    db = out.parent / "store.db"
    result = generate(out, db, "--export", "bio", "--export", "alpaca", "--export", "label-studio")
    assert result.returncode == 0, result.stderr
    assert "train: 960, validation: 120, test: 120" in result.stdout
    return out


def test_generate_writes_splits_exports_manifest_and_store_row(generated):
    names = {p.name for p in generated.iterdir()}
    assert {"train.jsonl", "validation.jsonl", "test.jsonl", "manifest.json", "dataset_info.json"} <= names
    assert {"train.bio.jsonl", "train_alpaca.json", "test_label_studio.json"} <= names
    assert not any(n.endswith(".partial") for n in names)
    manifest = json.loads((generated / "manifest.json").read_text("utf-8"))
    assert manifest["config"]["reference_date"] == REF and manifest["counts"]["test"] == 120
    import sqlalchemy

    engine = sqlalchemy.create_engine(f"sqlite:///{generated.parent / 'store.db'}")
    with engine.connect() as conn:
        assert conn.execute(sqlalchemy.text("select seed from generated_datasets")).scalar_one() == 3


def test_same_seed_gives_identical_files(generated, tmp_path):
    again = tmp_path / "again"
    result = generate(again, tmp_path / "s.db")
    assert result.returncode == 0, result.stderr
    for split in ("train", "validation", "test"):
        assert (again / f"{split}.jsonl").read_bytes() == (generated / f"{split}.jsonl").read_bytes()


def test_tag_matcher_reads_text_and_records_and_keeps_order(tmp_path):
    queries = (
        "本月菏泽巨野县供电公司麒麟供电所投诉个数\n\n"
        + json.dumps({"text": "济南龙山投诉", "other": 1}, ensure_ascii=False)
        + "\n你好\n"
    )
    result = nerloop("tag", "--matcher", "--reference-date", REF, "-", stdin=queries)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in records] == ["本月菏泽巨野县供电公司麒麟供电所投诉个数", "济南龙山投诉", "你好"]
    first = records[0]
    assert first["resolved"] == {
        "Province": "山东省",
        "City": "菏泽市",
        "Company": "巨野县供电公司",
        "Substation": "麒麟供电所",
    }
    assert first["date"] == {"start": "2026-11-01", "end": "2026-11-30"}
    assert first["model"] == "matcher" and 0 <= first["uncertainty"] <= 1
    assert first["xml"].startswith("<Date>本月</Date><Province>山东省</Province><City>菏泽</City>")
    assert all(0 <= e["score"] <= 1 for e in first["entities"])
    for record in records:
        TaggedQuery.from_dict(record).check_spans()
    assert records[2]["entities"] == [] and set(records[2]["resolved"].values()) == {None}


def test_tag_explain_shows_candidates(tmp_path):
    result = nerloop("tag", "--matcher", "--explain", "--reference-date", REF, stdin="龙山投诉\n")
    record = json.loads(result.stdout)
    (longshan,) = [e for e in record["explain"] if e["type"] == "Substation"]
    assert longshan["method"] == "exact" and len(longshan["candidates"]) > 1
    assert record["ambiguous"] and record["resolved"]["Substation"] is None


def test_tag_explain_shows_the_segmentation_alternatives():
    result = nerloop("tag", "--matcher", "--explain", "--reference-date", REF, stdin="济南市中区投诉\n")
    segmentation = json.loads(result.stdout)["segmentation"]
    assert [m["text"] for m in segmentation["chosen"]] == ["济南", "市中区", "投诉"]
    (longest,) = [m for m in segmentation["alternatives"] if m["text"] == "济南市"]
    assert longest["strength"] == "name" and "score higher" in longest["why_not"]


def test_eval_matcher_on_generated_test_split(generated):
    result = nerloop("eval", "--matcher", "--gold", str(generated / "test.jsonl"))
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["n"] == 120
    for key in (
        "entity_f1",
        "entity_precision",
        "entity_recall",
        "resolved_accuracy",
        "ambiguity_accuracy",
        "date_accuracy",
        "target_accuracy",
        "multi_target_accuracy",
    ):
        assert key in metrics
    assert 0.5 < metrics["entity_f1"] <= 1.0
    assert 0.5 < metrics["target_accuracy"] <= 1.0
    assert set(metrics["per_type"]) <= {"Province", "City", "Company", "Substation", "Indicator", "Date"}


def test_resolve_applies_a_new_gazetteer_without_retraining(mini_copy, tmp_path):
    record = {
        "text": "新站供电所投诉",
        "entities": [{"type": "Substation", "start": 0, "end": 5, "text": "新站供电所"}],
    }
    line = json.dumps(record, ensure_ascii=False) + "\n"
    before = json.loads(nerloop("resolve", "--gazetteer", str(mini_copy), "--reference-date", REF, stdin=line).stdout)
    assert before["resolved"]["Substation"] is None
    with (mini_copy / "substations.csv").open("a", encoding="utf-8") as stream:
        stream.write("新站供电所,曹县供电公司,\n")
    after = json.loads(nerloop("resolve", "--gazetteer", str(mini_copy), "--reference-date", REF, stdin=line).stdout)
    assert after["resolved"] == {
        "Province": "山东省",
        "City": "菏泽市",
        "Company": "曹县供电公司",
        "Substation": "新站供电所",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tag", "-", "--reference-date", REF), "give --model MODEL_DIR or --matcher"),
        (("tag", "--matcher", "--reference-date", "25/11/2026"), "--reference-date '25/11/2026' is not a date"),
        (("tag", "--matcher", "/nonexistent.txt"), "cannot read /nonexistent.txt"),
        (("generate", "--out", "x", "-n", "0"), "-n must be at least 1"),
        (("generate", "--out", "x", "--export", "csv"), "unknown export format(s) csv"),
        (("eval", "--matcher", "--gold", "/nonexistent.jsonl"), "/nonexistent.jsonl"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(args, message, tmp_path):
    result = nerloop(*args, stdin="x\n", cwd=tmp_path)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_json_line_names_the_line():
    result = nerloop("tag", "--matcher", stdin="好\n{not json\n")
    assert result.returncode == 2
    assert result.stderr.startswith("<stdin>:2: not valid JSON")


def test_bad_grammar_names_file_and_line(tmp_path):
    grammar = tmp_path / "g.yaml"
    grammar.write_text("templates:\n  - id: a\n    text: '{{city}}{{nosuch}}'\n", "utf-8")
    result = nerloop("generate", "--out", str(tmp_path / "o"), "-n", "10", "--grammar", str(grammar), cwd=tmp_path)
    assert result.returncode == 2
    assert f"{grammar}:3: template 'a': unknown name 'nosuch'" in result.stderr  # the line of its text


def test_every_command_has_help():
    for command in (["generate"], ["tag"], ["eval"], ["resolve"], ["gazetteer", "check"]):
        result = nerloop(*command, "--help")
        assert result.returncode == 0 and "Usage" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (("tag",), "give --model MODEL_DIR or --matcher"),
        (("tag", "--matcher", "--model", "m"), "either --model or --matcher"),
        (("tag", "--matcher", "--combine", "vote"), "needs --model"),
    ],
)
def test_tagger_selection_mistakes_are_usage_errors(args, message, tmp_path):
    result = nerloop(*args, stdin="本月菏泽投诉\n", cwd=tmp_path)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and message in lines[0], result.stderr


def test_a_model_manifest_that_is_not_an_object_is_one_line(tmp_path):
    model = tmp_path / "m"
    model.mkdir()
    (model / "nerloop_model.json").write_text("[1, 2]", "utf-8")
    result = nerloop("tag", "--model", str(model), stdin="本月菏泽投诉\n", cwd=tmp_path)
    assert result.returncode == 1 and "not a valid model manifest" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
