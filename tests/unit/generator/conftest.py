"""Fixtures of the generator tests: the default gazetteer, and samplers wired as ``generate`` wires them."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import pytest

from gazetteers.config import ResolverConfig
from gazetteers.matcher import GazetteerMatcher
from gazetteers.model import Gazetteer
from gazetteers.resolver import Resolver
from generator.config import GeneratorConfig
from generator.grammar import Grammar
from generator.pipeline import build_distractors
from generator.sampler import Sampler, surface_choices
from generator.splits import plan_splits

REFERENCE = dt.date(2026, 11, 25)


@pytest.fixture(scope="session")
def default_gazetteer() -> Gazetteer:
    from gazetteers import load_gazetteer
    from gazetteers.default import default_directory

    return load_gazetteer(default_directory(), use_cache=False)


@pytest.fixture
def make_sampler() -> Callable[..., Sampler]:
    """A factory: ``make_sampler(gazetteer, grammar, seed=0, pools=None, typo_rate=0, fullwidth_rate=0)``.

    ``pools`` (type → entry ids) overrides the train pools of the split plan, to pin a chain.
    """

    def build(
        gazetteer: Gazetteer,
        grammar: Grammar,
        seed: int = 0,
        pools: dict[str, tuple[str, ...]] | None = None,
        typo_rate: float = 0.0,
        fullwidth_rate: float = 0.0,
    ) -> Sampler:
        config = GeneratorConfig(n=1, seed=seed, reference_date=REFERENCE, holdout_fraction=0.0, template_holdout=0.0)
        drawable = dict(plan_splits(gazetteer, grammar, config).pools["train"])
        drawable.update(pools or {})
        matcher = GazetteerMatcher(gazetteer)
        distractors = build_distractors(grammar, matcher, seed)
        resolver = Resolver(gazetteer, ResolverConfig(fuzzy=False))
        return Sampler(
            gazetteer,
            grammar,
            resolver,
            drawable,
            distractors,
            surface_choices(gazetteer),
            REFERENCE,
            random.Random(seed),
            typo_rate,
            fullwidth_rate,
        )

    return build
