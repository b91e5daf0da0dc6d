"""Link one mention to gazetteer entries: exact, then normalized, then fuzzy.

Each step is tried only when the previous one found nothing, and the fuzzy step
may be confined to a scope (the entries the query's other mentions allow), so a
typo in 麒麟供店所 links to the 麒麟 under the company the user also named.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from gazetteers.aliases import short_forms
from gazetteers.config import ResolverConfig
from gazetteers.model import Gazetteer


@dataclass(frozen=True)
class Link:
    """How a mention was linked, for ``--explain``.

    Attributes:
        candidates: entry ids the mention may name (empty: unknown to the gazetteer).
        method: ``exact``, ``normalized``, ``fuzzy`` or ``none``.
        form: the surface form that matched.
        score: 100 for exact and normalized links, the rapidfuzz ratio for fuzzy ones.
        alternatives: other fuzzy forms considered, with scores.
    """

    candidates: tuple[str, ...]
    method: str
    form: str = ""
    score: float = 0.0
    alternatives: tuple[tuple[str, float], ...] = field(default=())

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "form": self.form,
            "score": round(self.score, 2),
            "candidates": list(self.candidates),
            "alternatives": [[f, round(s, 2)] for f, s in self.alternatives],
        }


NOT_LINKED = Link((), "none")


def fold_width(text: str) -> str:
    """Full-width to half-width (and other NFKC compatibility forms) character by character.

    Characters whose NFKC form is longer than one code point are kept, so offsets
    into the folded text are offsets into the original.
    """
    out = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


def normalized_forms(text: str, gazetteer: Gazetteer, type_name: str) -> list[str]:
    """Forms to try after the exact one: width-folded and spaces removed, then the type's short forms.

    ``麒麟镇供电所`` → ``麒麟镇``, ``麒麟``; ``巨野县供电中心`` → ``巨野县``, ``巨野``.
    """
    base = "".join(fold_width(text).split())
    rules = gazetteer.domain.types[type_name].short_forms
    forms = [base, *short_forms(base, rules)]
    return [f for f in dict.fromkeys(forms) if f]


class Linker:
    """Links mentions of one gazetteer; keeps the per-type choice lists for fuzzy search."""

    def __init__(self, gazetteer: Gazetteer, config: ResolverConfig | None = None) -> None:
        self.gazetteer = gazetteer
        self.config = config or ResolverConfig()
        self._choices: dict[str, list[str]] = {}

    def link(self, text: str, type_name: str, *, fuzzy: bool = False, scope: Collection[str] | None = None) -> Link:
        """Candidates for ``text`` as a mention of ``type_name``; fuzzy only when asked and allowed."""
        gazetteer = self.gazetteer
        exact = gazetteer.lookup(text, type_name)
        if exact:
            return Link(exact, "exact", text, 100.0)
        for form in normalized_forms(text, gazetteer, type_name):
            found = gazetteer.lookup(form, type_name)
            if found:
                return Link(found, "normalized", form, 100.0)
        if fuzzy and self.config.fuzzy and len(text) >= self.config.fuzzy_min_length:
            return self._fuzzy(text, type_name, scope)
        return NOT_LINKED

    def _fuzzy(self, text: str, type_name: str, scope: Collection[str] | None) -> Link:
        if scope is None:
            choices = self._choices.get(type_name)
            if choices is None:
                choices = self._choices[type_name] = list(self.gazetteer.surfaces(type_name))
        else:
            choices = list(dict.fromkeys(f for i in scope for f in self.gazetteer.get(i).surfaces))
        query = "".join(fold_width(text).split())
        hits = process.extract(
            query, choices, scorer=fuzz.ratio, score_cutoff=self.config.fuzzy_threshold, limit=self.config.fuzzy_limit
        )
        if not hits:
            return NOT_LINKED
        best = hits[0][1]
        top = [form for form, score, _ in hits if score == best]
        ids = {i for form in top for i in self.gazetteer.lookup(form, type_name)}
        if scope is not None:
            ids &= set(scope)
        alternatives = tuple((form, float(score)) for form, score, _ in hits)
        return Link(tuple(sorted(ids)), "fuzzy", top[0], float(best), alternatives) if ids else NOT_LINKED
