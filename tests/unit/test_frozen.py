"""fast_init: the same construction as the dataclass's own __init__, in one step."""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import pickle
from dataclasses import InitVar, dataclass, field

import pytest

from gazetteers.resolver import Resolution
from nerloop.frozen import fast_init
from nerloop.records import TaggedQuery, Target
from nerloop.tagging import Prediction

FAST = (TaggedQuery, Prediction, Resolution)


def _pair() -> tuple[type, type]:
    """The same frozen dataclass twice: with the generated __init__ and with fast_init's."""

    def make() -> type:
        @dataclass(frozen=True)
        class Sample:
            a: str
            b: tuple = ()
            c: dict = field(default_factory=dict)
            d: int | None = None

        return Sample

    return make(), fast_init(make())


@pytest.mark.parametrize(
    "args, kwargs",
    [
        (("x",), {}),
        (("x", (1,)), {"d": 3}),
        ((), {"a": "x", "c": {"k": 1}}),
        (("x", (), {"k": 2}, 4), {}),
    ],
)
def test_builds_what_the_generated_init_builds(args: tuple, kwargs: dict) -> None:
    plain, fast = _pair()
    expected, got = plain(*args, **kwargs), fast(*args, **kwargs)
    assert vars(got) == vars(expected)
    assert list(vars(got)) == list(vars(expected))  # field order, as repr and asdict see it
    # as help() shows it: names, annotations, defaults (the factory's stand-in prints as <factory>)
    assert str(inspect.signature(fast.__init__)) == str(inspect.signature(plain.__init__))


def test_argument_errors_are_the_generated_ones() -> None:
    plain, fast = _pair()
    for cls in (plain, fast):
        with pytest.raises(TypeError):
            cls()
        with pytest.raises(TypeError):
            cls("x", e=1)
        with pytest.raises(TypeError):
            cls("x", (), {}, None, 5)


def test_stays_frozen_equal_hashable_picklable_and_replaceable() -> None:
    _, fast = _pair()
    one = fast("x", (1,))
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.a = "y"  # type: ignore[misc]
    assert one == fast("x", (1,)) and one != fast("y")
    assert fast("x").c is not fast("x").c  # a fresh value from the factory each time
    assert dataclasses.replace(one, d=2) == fast("x", (1,), {}, 2)
    assert repr(one).endswith("Sample(a='x', b=(1,), c={}, d=None)")
    record = TaggedQuery("本月菏泽投诉", extra={"model": "m"}, targets=(Target((0,), {"City": "菏泽市"}),))
    assert pickle.loads(pickle.dumps(record)) == record  # classes at module level: the records

    @fast_init
    @dataclass(frozen=True)
    class Day:
        day: dt.date
        part: str = "all"

    day = dt.date(2024, 5, 1)
    assert hash(Day(day)) == hash(Day(day=day, part="all")) and {Day(day), Day(day, "all")} == {Day(day)}


def test_refuses_what_it_cannot_keep() -> None:
    @dataclass
    class NotFrozen:
        a: int

    @dataclass(frozen=True)
    class WithPostInit:
        a: int

        def __post_init__(self) -> None: ...

    @dataclass(frozen=True)
    class WithInitVar:
        a: int
        b: InitVar[int] = 0

    @dataclass(frozen=True)
    class NotInInit:
        a: int
        b: int = field(default=0, init=False)

    @dataclass(frozen=True, kw_only=True)
    class KeywordOnly:
        a: int

    @dataclass(frozen=True, slots=True)
    class Slotted:
        a: int

    for cls in (NotFrozen, WithPostInit, WithInitVar, NotInInit, KeywordOnly, Slotted):
        with pytest.raises(TypeError):
            fast_init(cls)


@pytest.mark.parametrize("cls", FAST, ids=lambda c: c.__name__)
def test_the_records_keep_the_signature_of_their_fields(cls: type) -> None:
    """Every class built by fast_init takes its fields by position and name, with their defaults."""
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    fields = dataclasses.fields(cls)
    assert [p.name for p in parameters] == [f.name for f in fields]
    for parameter, f in zip(parameters, fields):
        if f.default is not dataclasses.MISSING:
            assert parameter.default is f.default
        elif f.default_factory is dataclasses.MISSING:
            assert parameter.default is inspect.Parameter.empty
    assert cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__"
