"""The compiled form of a grammar: operation kinds, fragments, templates and the limits they are checked against."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

LITERAL, SLOT, FRAGMENT, DISTRACTOR, OTHER_SLOT, THIRD_SLOT = 0, 1, 2, 3, 4, 5
SURFACE_FORMS = ("any", "full", "alias", "short")
# Forms of the date slot only: a second, independent date (对比今年和去年), or a comparison (同比, 去年同期).
DATE_FORMS = ("other", "compare")
DISTRACTOR_KINDS = ("person", "org", "address", "lookalike")
OTHER_SUFFIX = "_2"
THIRD_SUFFIX = "_3"
DEFAULT_GRAMMAR = Path(__file__).parent.parent / "data" / "default_grammar.yaml"
DEFAULT_DISTRACTOR_POOL = 200
# Checked when a grammar is parsed: fragments that double at each level would otherwise
# write queries of millions of characters. Length counts each slot as one character.
MAX_QUERY_LENGTH = 1000
MAX_DEPTH = 20

# An operation: (kind, value, form, probability). value is literal text, a type name,
# a fragment name or a distractor kind; form is the surface form of a slot.
Op = tuple[int, str, str, float]


@dataclass(frozen=True)
class Fragment:
    name: str
    alternatives: tuple[tuple[Op, ...], ...]
    cum_weights: tuple[float, ...]
    probability: float
    line: int


@dataclass(frozen=True)
class Template:
    id: str
    ops: tuple[Op, ...]
    weight: float
    slot_types: frozenset[str]
    line: int
    holdout: bool | None = None
    other_slot_types: frozenset[str] = frozenset()
    third_slot_types: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Grammar:
    """A compiled grammar: templates, fragments, distractor pool sizes."""

    source: str
    templates: tuple[Template, ...]
    fragments: dict[str, Fragment]
    distractors: dict[str, int]
    fingerprint: str
    warnings: list[str] = field(default_factory=list)
