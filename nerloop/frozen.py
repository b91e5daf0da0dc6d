"""Frozen dataclasses whose instances are built in one step.

A frozen dataclass's generated ``__init__`` sets every field through ``object.__setattr__`` (the
class's own ``__setattr__`` refuses): one Python-level call per field. The frozen records of the
matcher and the resolver (then a :class:`~nerloop.records.TaggedQuery` and its targets, the
resolution, the segmentation, links and completions) paid 7 % of the matcher's time on the national
build for it (py-spy of a compiled ``bench/resolve.py`` pass). :func:`fast_init` gives such a class an
``__init__`` of the same signature that sets the instance's attribute dictionary in one call; the
class stays what it was (frozen ``__setattr__``, ``__eq__``, ``__hash__``, ``__repr__``,
``dataclasses.replace`` and ``fields`` are the dataclass's own).

Only for records made per query and soon dropped. An instance given a whole dictionary keeps it
(336 bytes for TaggedQuery's eight fields) where the generated ``__init__`` leaves the values
inline in the object (153 bytes): with the classes whose instances bounded caches hold by the ten
thousand, ``generate``'s peak RSS rose by 20 MiB at 100,000 samples. Those (links, completions,
date ranges), and the targets and segmentations made per query, are now named tuples built with
``tuple.__new__``: smaller still, and no Python ``__init__`` at all. TaggedQuery, the resolution
and the tagger's prediction keep ``fast_init``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


class _Factory:
    """Stands for an argument not given where the field has a ``default_factory`` (shown as the
    generated ``__init__`` shows it)."""

    def __repr__(self) -> str:
        return "<factory>"


_NO_VALUE = _Factory()


def fast_init(cls: type[T]) -> type[T]:
    """``cls`` (a frozen dataclass) with an ``__init__`` that fills the instance dictionary at once.

    Same parameters, defaults and factories as the generated one. Refused (``TypeError``) where
    the generated ``__init__`` does more than set fields: ``__post_init__``, ``InitVar``,
    ``init=False`` or keyword-only fields, ``__slots__``.
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen:
        raise TypeError(f"{cls.__name__}: fast_init is for frozen dataclasses")
    if hasattr(cls, "__post_init__") or "__slots__" in cls.__dict__:
        raise TypeError(f"{cls.__name__}: fast_init cannot keep __post_init__ or __slots__")
    every = getattr(cls, "__dataclass_fields__")  # noqa: B009  (InitVars are there, not in fields())
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if len(every) != len(fields) or any(not f.init or f.kw_only is True for f in fields):
        raise TypeError(f"{cls.__name__}: fast_init needs plain fields, all set by __init__ by position or name")
    namespace: dict[str, Any] = {"_set": object.__setattr__, "_NO_VALUE": _NO_VALUE}
    parameters, values = [], []
    for field in fields:
        name = field.name
        if field.default is not dataclasses.MISSING:
            namespace[f"_default_{name}"] = field.default
            parameters.append(f"{name}=_default_{name}")
            values.append(f"{name!r}: {name}")
        elif field.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{name}"] = field.default_factory
            parameters.append(f"{name}=_NO_VALUE")
            values.append(f"{name!r}: _factory_{name}() if {name} is _NO_VALUE else {name}")
        else:
            parameters.append(name)
            values.append(f"{name!r}: {name}")
    source = f"def __init__(self, {', '.join(parameters)}):\n    _set(self, '__dict__', {{{', '.join(values)}}})\n"
    exec(source, namespace)  # noqa: S102  (built from the class's own field names, as dataclasses does)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    init.__annotations__ = {**{f.name: f.type for f in fields}, "return": None}
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
