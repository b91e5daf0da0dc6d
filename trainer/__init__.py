"""Model training and inference (token-classification tagger, generative inline-XML model).

Built in a later issue; this package is where transformers, peft and torch are imported,
so that ``gazetteers`` and ``generator`` never need them.
"""
