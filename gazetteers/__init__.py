"""CSV gazetteers: loading, validation, the hierarchy index and the default data.

The model-free tagger is ``matcher`` (``GazetteerMatcher``); the reading of a query it picks,
and ``Segmentation``, what ``--explain`` shows of it, live in ``segmentation``.
Imports neither torch nor transformers, so the data spine runs anywhere.
"""

from gazetteers.loader import load_gazetteer
from gazetteers.model import Entry, Gazetteer

__all__ = ["Entry", "Gazetteer", "load_gazetteer"]
