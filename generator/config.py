"""Settings of one ``nerloop generate`` run; saved beside the data it produced."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field

from nerloop.errors import UsageError as NerloopError

SPLITS = ("train", "validation", "test")
# Where entity-free records come from (generator/negatives.py), and their default weights: out-of-domain
# traffic most (the bulk of what an assistant's log holds besides queries), hard negatives the rest.
NEGATIVE_SOURCES = ("ood", "person", "place_name", "word")
DEFAULT_NEGATIVE_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("ood", 0.4),
    ("person", 0.2),
    ("place_name", 0.25),
    ("word", 0.15),
)
MAX_NEGATIVE_SHARE = 0.9


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
        novel_rate: chance that a sample's Company and Substation mentions from one level down
            (a company and its township, or a township) carry invented names the gazetteer lacks
            (the core of a real surface form replaced, the suffix kept; see generator/novel.py),
            labelled as mentions without a link: a model learns to find names by their shape
            and place in the query, not only by heart.
        fullwidth_rate: chance that a sample's ASCII digits and letters are full-width.
        conflict_rate: chance that a sample names a wrong parent (a substation under another
            city); the resolver labels it ``conflict``, so conflicts can be trained and evaluated.
        max_duplicate_streak: consecutive duplicates after which the grammar counts as exhausted.
        negative_share: share of each split's records that hold no entity (0..0.9). Records the
            grammar writes without an entity count towards it; the rest are drawn from
            ``negative_weights``' sources (generator/negatives.py): ``ood`` (out-of-domain
            assistant traffic), ``person`` (王麒麟), ``place_name`` (千佛山中学), ``word`` (jieba
            words holding a short form). 0 keeps only the grammar's own negatives.
        mixed_share: share of records that are an in-domain query with an out-of-domain or
            hard-negative clause before or after it (你好，…, …，谢谢), labelled for the query only.
        negative_weights: (source, weight) pairs for the entity-free records.
    """

    n: int = 1000
    seed: int = 0
    reference_date: dt.date = field(default_factory=dt.date.today)
    split_ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)
    holdout_levels: tuple[str, ...] = ("Company", "Substation")
    holdout_fraction: float = 0.1
    template_holdout: float = 0.15
    typo_rate: float = 0.02
    novel_rate: float = 0.2
    fullwidth_rate: float = 0.05
    conflict_rate: float = 0.01
    max_duplicate_streak: int = 5000
    negative_share: float = 0.2
    mixed_share: float = 0.08
    negative_weights: tuple[tuple[str, float], ...] = DEFAULT_NEGATIVE_WEIGHTS

    def __post_init__(self) -> None:
        if self.n < 1:
            raise NerloopError("-n must be at least 1")
        if (
            len(self.split_ratios) != 3
            or not all(math.isfinite(r) and r >= 0 for r in self.split_ratios)
            or sum(self.split_ratios) <= 0
        ):
            raise NerloopError("split ratios must be three non-negative numbers (train, validation, test)")
        for name in (
            "holdout_fraction",
            "template_holdout",
            "typo_rate",
            "novel_rate",
            "fullwidth_rate",
            "conflict_rate",
        ):
            value = getattr(self, name)
            if not math.isfinite(value) or not 0 <= value < 1 or (name == "holdout_fraction" and value >= 0.5):
                raise NerloopError(f"{name} must be within [0, 1) (holdout_fraction below 0.5), not {value}")
        for name in ("negative_share", "mixed_share"):
            value = getattr(self, name)
            if not _is_number(value) or not math.isfinite(value) or not 0 <= value <= MAX_NEGATIVE_SHARE:
                raise NerloopError(f"{name} must be within [0, {MAX_NEGATIVE_SHARE}], not {value}")
        if self.negative_share + self.mixed_share > MAX_NEGATIVE_SHARE:
            raise NerloopError(
                f"negative_share + mixed_share must be at most {MAX_NEGATIVE_SHARE} (some records must be plain "
                f"queries), not {self.negative_share} + {self.mixed_share}"
            )
        if isinstance(self.negative_weights, dict):  # as to_dict writes it
            object.__setattr__(self, "negative_weights", tuple(self.negative_weights.items()))
        try:
            weights = dict(self.negative_weights)
        except (TypeError, ValueError):
            raise NerloopError(
                f"negative_weights must be (source, weight) pairs, not {self.negative_weights!r}"
            ) from None
        unknown = sorted(set(weights) - set(NEGATIVE_SOURCES))
        if unknown or len(weights) != len(self.negative_weights):
            raise NerloopError(
                f"negative_weights: {'unknown source ' + ', '.join(unknown) if unknown else 'a source given twice'}; "
                f"give each of {', '.join(NEGATIVE_SOURCES)} at most once"
            )
        if any(not _is_number(w) or not math.isfinite(w) or w < 0 for w in weights.values()):
            raise NerloopError(f"negative source weights must be non-negative numbers, not {weights}")
        if (self.negative_share or self.mixed_share) and not any(weights.values()):
            raise NerloopError("negative source weights are all 0; give one a weight or set the shares to 0")
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
        out["negative_weights"] = dict(self.negative_weights)
        return out


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
