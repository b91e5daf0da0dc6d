"""Measure words after a mention: 投诉 + 量, 停电 + 次数.

DOMAIN.md tags ``<Indicator>投诉</Indicator>个数``: the measure word is not part of
the Indicator. An alias such as ``投诉量`` teaches the opposite boundary, so
``gazetteer check`` warns about it and the generator tags only ``投诉`` in it. A
name that is itself an indicator (``投诉百万户量``: per million households) is no
such alias and stays whole.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from gazetteers.model import Gazetteer
from nerloop.errors import Problem


def split_measure_word(surface: str, mentions: Collection[str], measure_words: Iterable[str]) -> tuple[str, str] | None:
    """``(mention, measure word)`` when ``surface`` is a known mention plus a measure word.

    Args:
        surface: a written form, e.g. ``投诉量``.
        mentions: the forms that are mentions on their own (an indicator's surfaces).
        measure_words: the type's measure words, e.g. 量, 次数.

    Returns:
        ``("投诉", "量")`` for ``投诉量``; ``None`` when ``surface`` is itself a mention
        that ends in a measure word only by its name (``投诉百万户量``) or has none.
    """
    for word in sorted(measure_words, key=len, reverse=True):
        head = surface[: -len(word)]
        if head and surface.endswith(word) and head in mentions:
            return head, word
    return None


def measure_word_warnings(gazetteer: Gazetteer) -> list[Problem]:
    """One warning per explicit alias that is a mention of its type plus a measure word."""
    warnings: list[Problem] = []
    for type_name, entity_type in gazetteer.domain.types.items():
        if not entity_type.measure_words:
            continue
        entries = gazetteer.entries(type_name)
        written = {form for e in entries for form in (e.name, *e.aliases)}
        for entry in entries:
            for alias in entry.aliases:
                split = split_measure_word(alias, written - {alias}, entity_type.measure_words)
                if split is None:
                    continue
                head, word = split
                path, _, line = entry.source.rpartition(":")
                warnings.append(
                    Problem(
                        path or entry.source,
                        int(line) if line.isdigit() else 0,
                        f"alias {alias!r} of {entry.name!r} is {type_name} {head!r} plus the measure word {word!r};"
                        f" measure words are not part of a mention: drop the alias",
                    )
                )
    return warnings


class MeasureWordIndex:
    """Per type: the written forms, which of them split off a measure word, which stay whole.

    The generator uses it to tag ``投诉`` in a drawn ``投诉量`` (and leave 量 outside)
    and to take in a measure word that completes a whole name (``投诉百万户`` + ``量``
    is the indicator ``投诉百万户量``).
    """

    def __init__(self, gazetteer: Gazetteer) -> None:
        self._words: dict[str, tuple[str, ...]] = {}
        self._written: dict[str, frozenset[str]] = {}
        self._whole: dict[str, frozenset[str]] = {}
        self._first: dict[str, frozenset[str]] = {}  # the measure words' first characters
        for type_name, entity_type in gazetteer.domain.types.items():
            if not entity_type.measure_words:
                continue
            entries = gazetteer.entries(type_name)
            written = frozenset(f for e in entries for f in (e.name, *e.aliases))
            words = tuple(sorted(entity_type.measure_words, key=len, reverse=True))
            self._words[type_name] = words
            self._first[type_name] = frozenset(w[0] for w in words if w)
            self._written[type_name] = written
            self._whole[type_name] = frozenset(
                f for f in written if split_measure_word(f, written - {f}, words) is None
            ) | {e.name for e in entries}

    @property
    def extendable(self) -> frozenset[str]:
        """The types whose mentions :meth:`extend` may lengthen (for the others it returns ``end``)."""
        return frozenset(t for t, whole in self._whole.items() if whole)

    def split(self, type_name: str, surface: str) -> tuple[str, str] | None:
        """``("投诉", "量")`` for a written ``投诉量`` that is no name of its own."""
        words = self._words.get(type_name)
        if not words or surface in self._whole[type_name]:
            return None
        # split_measure_word over the type's forms without ``surface`` (a head is always shorter than it),
        # without copying them per call: the generator asks this for every indicator it writes
        written = self._written[type_name]
        for word in words:
            head = surface[: -len(word)]
            if head and surface.endswith(word) and head in written:
                return head, word
        return None

    def extend(self, type_name: str, text: str, start: int, end: int) -> int:
        """The end of the mention at ``start`` once a following measure word that completes a whole name is in."""
        whole = self._whole.get(type_name)
        if not whole or end >= len(text) or text[end] not in self._first[type_name]:
            return end  # most mentions are followed by no measure word: one set lookup says so
        for word in self._words[type_name]:
            if text.startswith(word, end) and text[start : end + len(word)] in whole:
                return end + len(word)
        return end
