"""What each step of a cycle round did, as typed records.

A round row (:class:`~nerloop.store.models.CycleRound`) stores every finished step as a JSON
object under its name; these dataclasses are those objects. :meth:`Step.to_dict` writes
exactly the keys the round row and ``nerloop cycle``'s JSON have always held (a field left
``None`` is not written), and :meth:`Step.from_dict` reads them back when an interrupted
round resumes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, is_dataclass
from typing import Any, ClassVar, TypeVar

S = TypeVar("S", bound="Step")


@dataclass(frozen=True, kw_only=True)
class Step:
    """Base of the step records; ``name`` is the key in the round row and in ``STEPS``."""

    name: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = asdict(value) if is_dataclass(value) else value
        return out

    @classmethod
    def from_dict(cls: type[S], data: dict[str, Any]) -> S:
        """The record from its stored object; keys it does not know (``done``, ``seconds``) are left out."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True, kw_only=True)
class Pulled(Step):
    """Annotations pulled; ``watermark`` (the highest gold-label id) fixes the labels of this round."""

    name: ClassVar[str] = "pull"
    watermark: int
    labels: int
    new_labels: int


@dataclass(frozen=True, kw_only=True)
class Retrained(Step):
    """A challenger trained and registered, or the reason there is none this round."""

    name: ClassVar[str] = "retrain"
    trained: bool
    reason: str | None = None
    challenger: str | None = None
    base: str | None = None
    finetune: str | None = None
    human_train: int | None = None
    gold: int | None = None


@dataclass(frozen=True)
class ModelF1:
    """Entity F1 of one model on the frozen gold set and the synthetic test split (``None``: no records)."""

    gold_f1: float | None
    synthetic_f1: float | None


@dataclass(frozen=True, kw_only=True)
class Evaluated(Step):
    """Challenger and champion on the same records; ``skipped`` when nothing was trained."""

    name: ClassVar[str] = "evaluate"
    skipped: bool | None = None
    gold_n: int | None = None
    synthetic_n: int | None = None
    champion_version: str | None = None
    challenger: ModelF1 | None = None
    champion: ModelF1 | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evaluated:
        nested = {k: ModelF1(**data[k]) for k in ("challenger", "champion") if data.get(k) is not None}
        return cls(**{**{k: v for k, v in data.items() if k in _EVALUATED}, **nested})


@dataclass(frozen=True, kw_only=True)
class Promoted(Step):
    """Whether the challenger ``version`` became the champion; ``skipped`` when there was none."""

    name: ClassVar[str] = "promote"
    skipped: bool | None = None
    promoted: bool = False
    version: str | None = None


@dataclass(frozen=True, kw_only=True)
class Scored(Step):
    """The champion that scored the pool, and how many queries it scored this round."""

    name: ClassVar[str] = "score"
    model_version: str
    scored: int


@dataclass(frozen=True, kw_only=True)
class Pushed(Step):
    """How many queries went to annotators, chosen by ``strategy``."""

    name: ClassVar[str] = "push"
    pushed: int
    strategy: str


_EVALUATED = {f.name for f in fields(Evaluated)}
STEP_TYPES: tuple[type[Step], ...] = (Pulled, Retrained, Evaluated, Promoted, Scored, Pushed)
STEPS = tuple(t.name for t in STEP_TYPES)
