"""Model training and inference (token-classification tagger, generative inline-XML model).

This package is where transformers, peft and torch are imported, so that ``gazetteers`` and
``generator`` never need them. Entry points: :func:`trainer.train.train` (``nerloop train``)
and :func:`trainer.registry.get_backend` (a backend's ``train_model`` and ``load_model``;
:func:`inference.loading.open_model` opens any model directory through it).

Layout: the shared pieces at the top (``config.py``: :class:`~trainer.config.TrainConfig` and
the :class:`~trainer.config.BackendOptions` base; ``registry.py``; ``progress.py``: the one
progress event; ``precision.py``: bf16; ``curves.py``; ``model_dir.py``; ``data.py``;
``tokenizer.py``; ``train.py``), and one sub-package per backend in :mod:`trainer.backends`
(``tagger/``, ``generative/``), each with ``config.py`` (its typed options), ``model.py``,
``training.py`` and ``tagging.py``. docs/backends.md says how to add one.
"""
