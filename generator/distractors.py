"""Faker distractors: person names, unrelated companies, street addresses.

Faker's zh_CN data names real places now and then; a distractor holding a
gazetteer form or a date would be an unlabelled mention, so such items are
dropped from the pools.
"""

from __future__ import annotations

from collections.abc import Callable

from faker import Faker


def distractor_pools(
    sizes: dict[str, int], seed: int, has_mention: Callable[[str], bool]
) -> dict[str, tuple[str, ...]]:
    """Pools of distractors per kind (``person``, ``org``, ``address``), free of mentions."""
    faker = Faker("zh_CN")
    faker.seed_instance(seed)
    makers = {"person": faker.name, "org": faker.company, "address": faker.street_address}
    pools: dict[str, tuple[str, ...]] = {}
    for kind, size in sizes.items():
        items = dict.fromkeys(makers[kind]() for _ in range(size))
        pools[kind] = tuple(item for item in items if not has_mention(item)) or ("某人",)
    return pools
