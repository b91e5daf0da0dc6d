"""CSV gazetteers: loading, validation, the hierarchy index and the default data.

Imports neither torch nor transformers, so the data spine runs anywhere.
"""

from gazetteers.loader import load_gazetteer
from gazetteers.model import Entry, Gazetteer

__all__ = ["Entry", "Gazetteer", "load_gazetteer"]
