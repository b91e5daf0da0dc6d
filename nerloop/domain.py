"""The domain schema as data: entity types, hierarchy order, descriptions.

The power domain ships as ``nerloop/data/domain.yaml``; a gazetteer directory may
carry its own ``domain.yaml`` so that other domains fit without code changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from nerloop.errors import InputError, NerloopError, Problem

DOMAIN_FILE = "domain.yaml"


@dataclass(frozen=True)
class ShortFormRules:
    """How generated short forms are derived from a name (``巨野县供电公司`` → ``巨野县``, ``巨野``).

    Suffixes are stripped repeatedly, keeping each intermediate form, as long as at
    least ``min_length`` characters remain; ``add_suffixes`` are then appended to the
    fully stripped base (``麒麟`` → ``麒麟所``).
    """

    strip_suffixes: tuple[str, ...] = ()
    add_suffixes: tuple[str, ...] = ()
    min_length: int = 2


@dataclass(frozen=True)
class EntityType:
    """One entity type of the domain."""

    name: str
    label: str
    file: str
    description: str = ""
    examples: tuple[str, ...] = ()
    file_required: bool = True
    short_forms: ShortFormRules = field(default_factory=ShortFormRules)


@dataclass(frozen=True)
class Domain:
    """Entity types plus the strict hierarchy among some of them (outermost first)."""

    name: str
    types: dict[str, EntityType]
    hierarchy: tuple[str, ...]
    language: str = "zh"

    def __post_init__(self) -> None:
        unknown = [t for t in self.hierarchy if t not in self.types]
        if unknown:
            raise NerloopError(f"domain {self.name!r}: hierarchy names unknown types {unknown}")
        if len(set(self.hierarchy)) != len(self.hierarchy):
            raise NerloopError(f"domain {self.name!r}: a type occurs twice in the hierarchy")

    @property
    def flat_types(self) -> tuple[str, ...]:
        """Types outside the hierarchy (Indicator, Date in the power domain)."""
        return tuple(t for t in self.types if t not in self.hierarchy)

    @property
    def type_names(self) -> tuple[str, ...]:
        return tuple(self.types)

    def level(self, type_name: str) -> int:
        """Depth of a hierarchy type: 0 for the outermost level."""
        return self.hierarchy.index(type_name)


def _parse_domain(data: object, source: str) -> Domain:
    def fail(message: str) -> InputError:
        return InputError(Problem(source, 1, message), summary=f"invalid domain file {source}")

    if not isinstance(data, dict) or not isinstance(data.get("types"), dict):
        raise fail("expected a mapping with 'name', 'hierarchy' and 'types'")
    types: dict[str, EntityType] = {}
    for name, spec in data["types"].items():
        spec = spec or {}
        if not isinstance(spec, dict):
            raise fail(f"type {name}: expected a mapping")
        rules = spec.get("short_forms") or {}
        try:
            types[name] = EntityType(
                name=name,
                label=str(spec.get("label", name)),
                file=str(spec.get("file", f"{name.lower()}s.csv")),
                description=str(spec.get("description", "")),
                examples=tuple(spec.get("examples") or ()),
                file_required=bool(spec.get("file_required", True)),
                short_forms=ShortFormRules(
                    strip_suffixes=tuple(rules.get("strip_suffixes") or ()),
                    add_suffixes=tuple(rules.get("add_suffixes") or ()),
                    min_length=int(rules.get("min_length", 2)),
                ),
            )
        except (TypeError, ValueError) as exc:
            raise fail(f"type {name}: {exc}") from exc
    try:
        return Domain(
            name=str(data.get("name", "custom")),
            types=types,
            hierarchy=tuple(data.get("hierarchy") or ()),
            language=str(data.get("language", "zh")),
        )
    except NerloopError as exc:
        raise fail(str(exc)) from exc


def load_domain(path: Path | None = None) -> Domain:
    """Load a domain file; ``None`` gives the default power domain."""
    if path is None:
        text = resources.files("nerloop").joinpath("data", DOMAIN_FILE).read_text("utf-8")
        source = "<default domain.yaml>"
    else:
        text = Path(path).read_text("utf-8")
        source = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise InputError(Problem(source, line, f"not valid YAML: {exc}")) from exc
    return _parse_domain(data, source)


def domain_for_directory(directory: Path) -> Domain:
    """The directory's own ``domain.yaml`` when present, else the default domain."""
    own = Path(directory) / DOMAIN_FILE
    return load_domain(own if own.is_file() else None)


def dump_domain(domain: Domain) -> str:
    """``domain`` as a ``domain.yaml`` text that :func:`load_domain` reads back to an equal domain.

    Saved beside trained models, so a model directory says which types it was trained on.
    """
    types = {
        t.name: {
            "label": t.label,
            "file": t.file,
            "description": t.description,
            "examples": list(t.examples),
            "file_required": t.file_required,
            "short_forms": {
                "strip_suffixes": list(t.short_forms.strip_suffixes),
                "add_suffixes": list(t.short_forms.add_suffixes),
                "min_length": t.short_forms.min_length,
            },
        }
        for t in domain.types.values()
    }
    data = {"name": domain.name, "language": domain.language, "hierarchy": list(domain.hierarchy), "types": types}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
