"""The trainer backends by name: ``register_backend`` adds one, ``get_backend`` finds it.

A backend is a sub-package of :mod:`trainer.backends` that registers itself in its
``__init__``: its name, its options dataclass and the modules that train and load it. The
registration stays light (no torch): the training and tagging modules are imported only when
a model is trained or opened, so the tagger never needs the generative code (and the other
way round), and ``nerloop train --help`` stays fast. See docs/backends.md.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from trainer.errors import InputError, Problem, TrainingError

if TYPE_CHECKING:
    from trainer.config import BackendOptions

_BACKENDS: dict[str, Backend] = {}


@dataclass(frozen=True)
class Backend:
    """One trainer backend.

    Args:
        name: what ``--backend`` and the manifest's ``backend`` say.
        options: its :class:`~trainer.config.BackendOptions` subclass (``TrainConfig.backend_options``).
        training: the module with ``train_model(config, train, validation, domain, out_dir, *,
            gazetteer, progress)``, imported when a model is trained.
        tagging: the module with ``load_model(model_dir, manifest, *, device, ...)``, imported when
            a model directory is opened.
    """

    name: str
    options: type[BackendOptions]
    training: str
    tagging: str

    def training_module(self) -> ModuleType:
        """The module with ``train_model``, imported now.

        Raises:
            TrainingError: the module or one of its dependencies (torch …) is not installed.
        """
        return self._import(self.training)

    def tagging_module(self) -> ModuleType:
        """The module with ``load_model``, imported now (see :meth:`training_module`)."""
        return self._import(self.tagging)

    def train_model(self, *args: Any, **kwargs: Any):
        """``train_model`` of the training module (see :func:`trainer.train.train` for the contract)."""
        return self.training_module().train_model(*args, **kwargs)

    def load_model(self, *args: Any, **kwargs: Any):
        """``load_model`` of the tagging module: a model directory as a :class:`~nerloop.tagging.Tagger`."""
        return self.tagging_module().load_model(*args, **kwargs)

    def _import(self, module: str) -> ModuleType:
        try:
            return importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("trainer"):
                raise TrainingError(f"the {self.name} backend is not part of this nerloop installation") from None
            raise TrainingError(f"the {self.name} backend needs {exc.name}: pip install 'nerloop[train]'") from None


def register_backend(backend: Backend) -> Backend:
    """Add ``backend`` under its name; a second backend of the same name is refused.

    Raises:
        ValueError: the name is taken (two sub-packages claim it: a programming error).
    """
    if backend.name in _BACKENDS:
        raise ValueError(f"a trainer backend named {backend.name!r} is already registered")
    _BACKENDS[backend.name] = backend
    return backend


def backend_names() -> tuple[str, ...]:
    """The registered backends, in registration order (``tagger`` first)."""
    _load_builtins()
    return tuple(_BACKENDS)


def get_backend(name: str) -> Backend:
    """The backend registered as ``name``.

    Raises:
        InputError: no backend of that name; the message lists the known ones.
    """
    _load_builtins()
    try:
        return _BACKENDS[name]
    except KeyError:
        message = f"unknown backend {name!r}; choose one of: {', '.join(_BACKENDS)}"
        raise InputError(Problem("<train options>", 0, message), summary=message) from None


def _load_builtins() -> None:
    import trainer.backends  # noqa: F401  (each sub-package registers itself on import)
