"""Split plan: which gazetteer entries and templates each split may use.

Held-out entries make the test split measure generalization to names never seen
in training, which is what a gazetteer that grows every month demands. Holding
out is hierarchical: a held-out company takes all its substations with it, so no
train sample can surface a held-out entry as the parent of another. The draw is
by name, so all entries called 城关 fall on the same side: a bare, ambiguous 城关
in train then lists no held-out candidate, and ambiguous examples survive.
"""

from __future__ import annotations

from dataclasses import dataclass

from gazetteers.model import Gazetteer
from generator.config import SPLITS, GeneratorConfig
from generator.grammar import Grammar, Template
from nerloop.hashing import stable_unit

SHARED = "shared"


def _unit(seed: int, key: str) -> float:
    """A stable pseudo-random number in [0, 1) for ``key``; independent of iteration order."""
    return stable_unit(f"{seed}\0{key}")


@dataclass(frozen=True)
class SplitPlan:
    """Per split: drawable entry ids per type, and templates.

    Attributes:
        assignment: entry id → ``train``/``validation``/``test`` for held-out levels, ``shared`` otherwise.
        pools: split → type → entry ids a sample of that split may draw.
        templates: split → templates it may use.
        unseen_templates: ids of the templates only the test split uses.
        warnings: e.g. a split that got no held-out entry of a type because the gazetteer is small.
    """

    assignment: dict[str, str]
    pools: dict[str, dict[str, tuple[str, ...]]]
    templates: dict[str, tuple[Template, ...]]
    unseen_templates: frozenset[str]
    warnings: tuple[str, ...]


def _entry_split(unit: float, fraction: float) -> str:
    if unit < fraction:
        return "test"
    if unit < 2 * fraction:
        return "validation"
    return "train"


def plan_splits(gazetteer: Gazetteer, grammar: Grammar, config: GeneratorConfig) -> SplitPlan:
    """Assign entries and templates to splits, deterministically from the seed."""
    domain = gazetteer.domain
    assignment: dict[str, str] = {}
    for type_name in domain.hierarchy:
        held = type_name in config.holdout_levels
        for entry in gazetteer.entries(type_name):
            inherited = assignment.get(entry.parent, SHARED) if entry.parent else SHARED
            if inherited != SHARED and inherited != "train":
                assignment[entry.id] = inherited
            elif held:
                assignment[entry.id] = _entry_split(
                    _unit(config.seed, f"{type_name}:{entry.name}"), config.holdout_fraction
                )
            else:
                assignment[entry.id] = inherited
    warnings: list[str] = []
    pools: dict[str, dict[str, tuple[str, ...]]] = {s: {} for s in SPLITS}
    for type_name in domain.types:
        ids = [e.id for e in gazetteer.entries(type_name)]
        if type_name not in domain.hierarchy:
            for split in SPLITS:
                pools[split][type_name] = tuple(ids)
            continue
        train_pool = tuple(i for i in ids if assignment[i] in ("train", SHARED))
        pools["train"][type_name] = train_pool
        for split in ("validation", "test"):
            # own: held out at this level, or inherited from a held-out parent (a level not itself held out)
            own = tuple(i for i in ids if assignment[i] == split)
            if type_name in config.holdout_levels and not own and ids:
                warnings.append(
                    f"no held-out {type_name} entries for {split}: the gazetteer is too small; it reuses train entries"
                )
            pools[split][type_name] = own or train_pool
    unseen = frozenset(
        t.id
        for t in grammar.templates
        if t.holdout is True or (t.holdout is None and _unit(config.seed, "template:" + t.id) < config.template_holdout)
    )
    if len(unseen) == len(grammar.templates):
        unseen = frozenset()
        warnings.append("every template would be held out; none is")
    seen = tuple(t for t in grammar.templates if t.id not in unseen)
    templates = {"train": seen, "validation": seen, "test": grammar.templates}
    return SplitPlan(assignment, pools, templates, unseen, tuple(warnings))
