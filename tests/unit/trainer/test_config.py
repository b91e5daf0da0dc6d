"""The training config: typed per-backend options, validated, saved whole and read back whole (old files too)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nerloop.errors import InputError
from trainer.backends.generative.config import GenerativeOptions
from trainer.backends.tagger.config import TaggerOptions
from trainer.config import TrainConfig, read_training_config, write_training_config
from trainer.errors import ModelDirError

RESOLVED = [
    TrainConfig(
        backend="tagger",
        finetune="full",
        learning_rate=1e-3,
        max_length=96,
        backend_options=TaggerOptions(label_scheme="BIO", lexicon_dropout=0.25, lexicon_types=["City", "Substation"]),
    ),
    TrainConfig(
        backend="generative",
        base="Qwen/Qwen2.5-0.5B-Instruct",
        finetune="lora",
        learning_rate=2e-4,
        backend_options=GenerativeOptions(prompt="instruct", full_vocabulary=True, eval_size=16, checkpoint_dir="/c"),
    ),
]


@pytest.mark.parametrize("config", RESOLVED, ids=lambda c: c.backend)
def test_the_saved_config_reads_back_whole(config: TrainConfig, tmp_path: Path) -> None:
    write_training_config(tmp_path, config)
    saved = json.loads((tmp_path / "training_config.json").read_text("utf-8"))
    assert "extra" not in saved and saved["backend_options"] == json.loads(config.to_json())["backend_options"]
    assert read_training_config(tmp_path) == config


@pytest.mark.parametrize("backend, options", [("tagger", TaggerOptions), ("generative", GenerativeOptions)])
def test_no_options_means_the_backends_defaults(backend: str, options: type) -> None:
    assert TrainConfig(backend=backend).backend_options == options()


def test_an_old_generative_config_maps_its_extra_keys_into_the_typed_options(tmp_path: Path) -> None:
    old = {
        "backend": "generative",
        "base": "/models/qwen",
        "label_scheme": "BIOES",
        "lexicon_dropout": 0.5,
        "extra": {
            "generative_prompt": "instruct",
            "generative_full_vocabulary": True,
            "generative_eval_size": 16,
            "checkpoint_dir": "/ckpt",
        },
    }
    (tmp_path / "training_config.json").write_text(json.dumps(old), "utf-8")
    config = read_training_config(tmp_path)
    assert config.base == "/models/qwen"
    assert config.backend_options == GenerativeOptions("instruct", True, 16, "/ckpt")


def test_an_old_tagger_config_keeps_its_label_scheme_and_lexicon_dropout(tmp_path: Path) -> None:
    old = {"backend": "tagger", "max_steps": 40, "label_scheme": "BIO", "lexicon_dropout": 0.3, "extra": {}}
    (tmp_path / "training_config.json").write_text(json.dumps(old), "utf-8")
    config = read_training_config(tmp_path)
    assert config.max_steps == 40 and config.backend_options == TaggerOptions("BIO", 0.3)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: TaggerOptions(label_scheme="IOB2"), "unknown label scheme"),
        (lambda: TaggerOptions(lexicon_dropout=1.5), "between 0 and 1"),
        (lambda: GenerativeOptions(prompt="chat"), "unknown generative prompt"),
        (lambda: GenerativeOptions(eval_size=-1), "0 or more"),
        (lambda: TrainConfig(backend="generative", backend_options=TaggerOptions()), "takes GenerativeOptions"),
        (lambda: TrainConfig(bf16="maybe"), "--bf16"),
    ],
)
def test_invalid_options_are_one_line_input_errors(make, message: str) -> None:
    with pytest.raises(InputError, match=message) as error:
        make()
    assert "\n" not in error.value.summary


def test_a_model_directory_without_a_config_has_none_and_a_broken_one_is_a_model_dir_error(tmp_path: Path) -> None:
    assert read_training_config(tmp_path) is None
    (tmp_path / "training_config.json").write_text('{"backend": "tagger", "backend_options": {"label_scheme": "X"}}')
    with pytest.raises(ModelDirError, match="retrain"):
        read_training_config(tmp_path)
