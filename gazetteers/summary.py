"""What ``gazetteer check`` and ``gazetteer stats`` report about a loaded gazetteer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from gazetteers.measure_words import measure_word_warnings
from gazetteers.model import Gazetteer


@dataclass(frozen=True)
class TypeSummary:
    type: str
    entries: int
    shared_names: int
    entries_with_shared_name: int
    surface_forms: int
    ambiguous_surface_forms: int
    top_shared: list[tuple[str, int]]


@dataclass(frozen=True)
class GazetteerSummary:
    directory: str
    domain: str
    fingerprint: str
    types: list[TypeSummary]
    # ``file:line: message`` for rows that load but teach something wrong (an alias 投诉量)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def summarize(gazetteer: Gazetteer, directory: str, top: int = 5) -> GazetteerSummary:
    """Counts per type, and how often names and surface forms are shared (the ambiguity to expect)."""
    types = []
    for type_name in gazetteer.domain.types:
        shared = gazetteer.shared_names(type_name)
        forms = gazetteer.surfaces(type_name)
        types.append(
            TypeSummary(
                type=type_name,
                entries=len(gazetteer.entries(type_name)),
                shared_names=len(shared),
                entries_with_shared_name=sum(shared.values()),
                surface_forms=len(forms),
                ambiguous_surface_forms=sum(1 for ids in forms.values() if len(ids) > 1),
                top_shared=sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))[:top],
            )
        )
    warnings = [str(p) for p in measure_word_warnings(gazetteer)]
    return GazetteerSummary(directory, gazetteer.domain.name, gazetteer.fingerprint, types, warnings)
