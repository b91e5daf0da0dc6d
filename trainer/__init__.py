"""Model training and inference (token-classification tagger, generative inline-XML model).

This package is where transformers, peft and torch are imported, so that ``gazetteers`` and
``generator`` never need them. Entry points: :func:`trainer.train.train` (``nerloop train``)
and :func:`trainer.loading.open_model` (any model directory as a ``Tagger``).
"""
