"""The generative prompt style: resolved once in training, saved in the typed config, rebuilt on reload.

A model trained on a pretrained base with the ``instruct`` prompt and served with ``plain``
reads prompts it never saw (9449c3a); these tests pin the resolution and the round trip
through ``training_config.json`` without training anything.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("transformers")

from nerloop.domain import load_domain  # noqa: E402
from trainer.backends.generative.codec import Codec  # noqa: E402
from trainer.backends.generative.config import GenerativeOptions  # noqa: E402
from trainer.backends.generative.model import tiny_base  # noqa: E402
from trainer.backends.generative.tagging import prompt_style  # noqa: E402
from trainer.backends.generative.training import resolve_prompt  # noqa: E402
from trainer.config import TrainConfig, write_training_config  # noqa: E402
from trainer.model_dir import ModelManifest, write_manifest  # noqa: E402

TEXT = "菏泽麒麟所投诉"


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_base(load_domain(), [TEXT, "查询：标注："]).tokenizer


def _model_dir(path: Path, config: TrainConfig) -> Path:
    path.mkdir()
    write_manifest(path, ModelManifest("generative", "generative-1", config.base, "full", ("Substation",)))
    write_training_config(path, config)
    return path


@pytest.mark.parametrize(
    "base, chosen, expected",
    [("tiny", None, "plain"), ("/models/qwen", None, "instruct"), ("/models/qwen", "plain", "plain")],
)
def test_training_resolves_the_prompt_from_the_base_unless_chosen(base: str, chosen, expected: str) -> None:
    config = TrainConfig(backend="generative", base=base, backend_options=GenerativeOptions(prompt=chosen))
    assert resolve_prompt(config) == expected


def test_a_model_directory_base_passes_its_prompt_on(tmp_path: Path) -> None:
    parent = TrainConfig(backend="generative", base="/q", backend_options=GenerativeOptions(prompt="plain"))
    child = TrainConfig(backend="generative", base=str(_model_dir(tmp_path / "parent", parent)))
    assert resolve_prompt(child) == "plain"  # not "instruct", although the base is not tiny


def test_the_reloaded_tagger_builds_the_prompt_training_built(tokenizer, tmp_path: Path) -> None:
    domain = load_domain()
    config = TrainConfig(backend="generative", base="/models/qwen")
    style = resolve_prompt(config)
    trained = Codec(tokenizer, domain, style)
    saved = TrainConfig(backend="generative", base="/models/qwen", backend_options=GenerativeOptions(prompt=style))
    model_dir = _model_dir(tmp_path / "m", saved)
    reloaded = Codec(tokenizer, domain, prompt_style(model_dir))
    assert reloaded.prompt(TEXT) == trained.prompt(TEXT)
    assert reloaded.prompt(TEXT) != Codec(tokenizer, domain, "plain").prompt(TEXT)  # the check has teeth


def test_an_old_model_directory_reads_its_prompt_from_extra_and_defaults_to_plain(tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    (old / "training_config.json").write_text(
        json.dumps({"backend": "generative", "base": "/q", "extra": {"generative_prompt": "instruct"}}), "utf-8"
    )
    assert prompt_style(old) == "instruct"
    assert prompt_style(tmp_path) == "plain"  # no training_config.json at all
