"""The trainer backends by name, for :mod:`inference.loading` (which opens model directories).

Kept as a thin layer over :mod:`trainer.registry`: the backend's training and tagging code
is imported only when a model of its kind is trained or opened.
"""

from __future__ import annotations

from trainer.registry import Backend, get_backend


def backend_module(backend: str) -> Backend:
    """The registered backend (its ``train_model`` and ``load_model`` import their module when called)."""
    return get_backend(backend)
