"""Resolver settings: how far linking may stray from the written form."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from nerloop.errors import NerloopError


@dataclass(frozen=True)
class ResolverConfig:
    """Thresholds for linking mentions to gazetteer entries.

    Args:
        fuzzy: try rapidfuzz when neither the exact nor a normalized form is known (typos).
        fuzzy_threshold: minimum ``fuzz.ratio`` (0–100) for a fuzzy link; below it the
            mention stays unlinked rather than linked wrongly.
        fuzzy_limit: how many fuzzy candidates to keep (ties beyond it are dropped).
        fuzzy_min_length: mentions shorter than this are never fuzzy-linked: one wrong
            character in a two-character name is another name.
    """

    fuzzy: bool = True
    fuzzy_threshold: float = 75.0
    fuzzy_limit: int = 5
    fuzzy_min_length: int = 3

    def __post_init__(self) -> None:
        if not 0 <= self.fuzzy_threshold <= 100:
            raise NerloopError(f"fuzzy_threshold must be within 0..100, not {self.fuzzy_threshold}")
        if self.fuzzy_limit < 1:
            raise NerloopError("fuzzy_limit must be at least 1")

    def to_dict(self) -> dict:
        return asdict(self)
