"""Where the embedded default gazetteer (Shandong, built from MCA codes) lives."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def default_directory() -> Path:
    """Directory of the shipped default gazetteer CSVs."""
    return Path(str(resources.files("gazetteers").joinpath("data", "default")))
