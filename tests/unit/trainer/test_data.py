"""``--data`` parsing and loading: weights, validation carving, one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nerloop.errors import InputError
from trainer.data import DataSpec, load_training_data

RECORD = {"text": "菏泽投诉", "entities": [{"type": "City", "start": 0, "end": 2, "text": "菏泽"}]}


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def test_data_spec_reads_an_optional_weight_after_the_last_colon() -> None:
    assert DataSpec.parse("gold.jsonl:3") == DataSpec(Path("gold.jsonl"), 3.0)
    assert DataSpec.parse("out/") == DataSpec(Path("out/"), 1.0)
    assert DataSpec.parse("C:dir") == DataSpec(Path("C:dir"), 1.0)
    with pytest.raises(InputError):
        DataSpec.parse("gold.jsonl:0")


def test_weights_follow_their_source_and_validation_is_carved_when_missing(tmp_path: Path) -> None:
    synthetic = _write(tmp_path / "a.jsonl", [RECORD] * 20)
    gold = _write(tmp_path / "b.jsonl", [{**RECORD, "text": "菏泽投诉量"}] * 5)
    data = load_training_data([DataSpec(synthetic), DataSpec(gold, 3.0)])
    assert len(data.train) + len(data.validation) == 25
    assert {w for r, w in data.train if r.text == "菏泽投诉量"} <= {3.0}
    assert len(data.validation) == 2
    again = load_training_data([DataSpec(synthetic), DataSpec(gold, 3.0)])
    assert again.fingerprint == data.fingerprint
    assert load_training_data([DataSpec(synthetic), DataSpec(gold, 2.0)]).fingerprint != data.fingerprint


def test_a_directory_without_records_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no training records"):
        load_training_data([DataSpec(tmp_path)])
    _write(tmp_path / "train.jsonl", [])
    with pytest.raises(InputError, match="no records"):
        load_training_data([DataSpec(tmp_path)])


def test_spans_that_do_not_match_their_text_name_the_line(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.jsonl", [RECORD, {**RECORD, "text": "济南投诉"}])
    with pytest.raises(InputError) as excinfo:
        load_training_data([DataSpec(bad)])
    assert excinfo.value.problems[0].line == 2
