"""Settings of one ``nerloop generate`` run; saved beside the data it produced."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field

from nerloop.errors import UsageError as NerloopError

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class GeneratorConfig:
    """How many samples, from what seed, split how, with how much noise.

    Args:
        n: total number of unique samples over all splits.
        seed: everything drawn follows from it; the same seed gives the same files.
        reference_date: relative dates (本月, 上季度) are normalized against it.
        split_ratios: shares of train, validation and test.
        holdout_levels: hierarchy levels whose entries are held out per split: a test
            company (and all its substations) or a test substation never appears in train.
        holdout_fraction: share of those entries held out for validation and for test, each.
        template_holdout: share of templates used only by the test split (unseen shapes).
        typo_rate: chance that a hierarchy mention gets a typo (麒麟供店所); such a mention
            is labelled as a mention without a gazetteer link.
        fullwidth_rate: chance that a sample's ASCII digits and letters are full-width.
        conflict_rate: chance that a sample names a wrong parent (a substation under another
            city); the resolver labels it ``conflict``, so conflicts can be trained and evaluated.
        max_duplicate_streak: consecutive duplicates after which the grammar counts as exhausted.
    """

    n: int = 1000
    seed: int = 0
    reference_date: dt.date = field(default_factory=dt.date.today)
    split_ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)
    holdout_levels: tuple[str, ...] = ("Company", "Substation")
    holdout_fraction: float = 0.1
    template_holdout: float = 0.15
    typo_rate: float = 0.02
    fullwidth_rate: float = 0.05
    conflict_rate: float = 0.01
    max_duplicate_streak: int = 5000

    def __post_init__(self) -> None:
        if self.n < 1:
            raise NerloopError("-n must be at least 1")
        if (
            len(self.split_ratios) != 3
            or not all(math.isfinite(r) and r >= 0 for r in self.split_ratios)
            or sum(self.split_ratios) <= 0
        ):
            raise NerloopError("split ratios must be three non-negative numbers (train, validation, test)")
        for name in ("holdout_fraction", "template_holdout", "typo_rate", "fullwidth_rate", "conflict_rate"):
            value = getattr(self, name)
            if not math.isfinite(value) or not 0 <= value < 1 or (name == "holdout_fraction" and value >= 0.5):
                raise NerloopError(f"{name} must be within [0, 1) (holdout_fraction below 0.5), not {value}")
        if self.max_duplicate_streak < 1:
            raise NerloopError(f"max_duplicate_streak must be at least 1, not {self.max_duplicate_streak}")

    def split_sizes(self) -> dict[str, int]:
        """Samples per split; rounding leftovers go to train."""
        total = sum(self.split_ratios)
        sizes = {s: int(self.n * r / total) for s, r in zip(SPLITS, self.split_ratios)}
        sizes["train"] += self.n - sum(sizes.values())
        return sizes

    def to_dict(self) -> dict:
        out = asdict(self)
        out["reference_date"] = self.reference_date.isoformat()
        return out
