"""The backend registry: names to backends, duplicates refused, unknown names answered with the known ones."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nerloop.errors import InputError
from trainer.backends.generative import GenerativeOptions
from trainer.backends.tagger import TaggerOptions
from trainer.config import TrainConfig
from trainer.registry import Backend, backend_names, get_backend, register_backend


def test_the_built_in_backends_are_registered_tagger_first() -> None:
    assert backend_names()[:2] == ("tagger", "generative")
    assert get_backend("tagger").options is TaggerOptions
    assert get_backend("generative").options is GenerativeOptions


def test_an_unknown_backend_is_an_input_error_that_lists_the_known_ones() -> None:
    with pytest.raises(InputError, match="unknown backend 'crf'; choose one of: tagger, generative"):
        get_backend("crf")
    with pytest.raises(InputError, match="unknown backend"):
        TrainConfig(backend="crf")


def test_a_second_backend_of_the_same_name_is_refused() -> None:
    clash = Backend("tagger", TaggerOptions, training="trainer.backends.tagger.training", tagging="x")
    with pytest.raises(ValueError, match="already registered"):
        register_backend(clash)
    assert get_backend("tagger").tagging == "trainer.backends.tagger.tagging"


@pytest.mark.parametrize("name", ["tagger", "generative"])
def test_each_backend_module_has_train_model_and_load_model(name: str) -> None:
    pytest.importorskip("torch")
    backend = get_backend(name)
    assert callable(backend.training_module().train_model)
    assert callable(backend.tagging_module().load_model)


def test_registering_and_configuring_imports_no_torch() -> None:
    code = (
        "import sys; from trainer.config import TrainConfig; "
        "TrainConfig(backend='generative'); TrainConfig(); import nerloop.cli.train; "
        "print(sorted(m for m in ('torch', 'transformers', 'peft') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
