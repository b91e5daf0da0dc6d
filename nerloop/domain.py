"""The domain schema as data: entity types, hierarchy order, descriptions.

The power domain ships as ``nerloop/data/domain.yaml``; a gazetteer directory may
carry its own ``domain.yaml`` so that other domains fit without code changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

import yaml

from nerloop.errors import InputError, NerloopError, Problem
from nerloop.textfiles import read_utf8, yaml_problem

DOMAIN_FILE = "domain.yaml"


@dataclass(frozen=True)
class ShortFormRules:
    """How generated short forms are derived from a name (``巨野县供电公司`` → ``巨野县``, ``巨野``).

    Suffixes are stripped repeatedly, keeping each intermediate form, as long as at
    least ``min_length`` characters remain; ``add_suffixes`` are then appended to the
    fully stripped base (``麒麟`` → ``麒麟所``).

    Attributes:
        strip_suffixes: suffixes that may be dropped, tried longest first.
        add_suffixes: suffixes appended to the fully stripped base.
        min_length: characters every generated form keeps (never a one-character 曹).
        suffix_min_lengths: ``(suffix, n)`` pairs: dropping ``suffix`` must leave at
            least ``n`` characters (林区: 3, so 万柏林区 loses only 区).
        strip_ethnic: also drop an ethnic designation after a suffix (长阳土家族自治县 →
            长阳, 十里望回族镇 → 十里望).
        stop_forms: words never generated as a short form (新区, 矿区: vocabulary, not names).
    """

    strip_suffixes: tuple[str, ...] = ()
    add_suffixes: tuple[str, ...] = ()
    min_length: int = 2
    suffix_min_lengths: tuple[tuple[str, int], ...] = ()
    strip_ethnic: bool = False
    stop_forms: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.min_length < 1:
            raise ValueError(f"min_length must be at least 1, not {self.min_length}")

    @cached_property
    def sorted_suffixes(self) -> tuple[str, ...]:
        """``strip_suffixes``, longest first."""
        return tuple(sorted(self.strip_suffixes, key=len, reverse=True))

    def min_base(self, suffix: str) -> int:
        """Characters that must remain when ``suffix`` is dropped."""
        return max([self.min_length, *(n for s, n in self.suffix_min_lengths if s == suffix)])


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
    # Words that follow a mention but are not part of it (投诉 + 个数): an alias made of a
    # mention plus one of these is flagged by ``gazetteer check``.
    measure_words: tuple[str, ...] = ()


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
                measure_words=tuple(str(w) for w in spec.get("measure_words") or ()),
                short_forms=ShortFormRules(
                    strip_suffixes=tuple(rules.get("strip_suffixes") or ()),
                    add_suffixes=tuple(rules.get("add_suffixes") or ()),
                    min_length=int(rules.get("min_length", 2)),
                    suffix_min_lengths=tuple(
                        (str(k), int(v)) for k, v in (rules.get("suffix_min_lengths") or {}).items()
                    ),
                    strip_ethnic=bool(rules.get("strip_ethnic", False)),
                    stop_forms=tuple(rules.get("stop_forms") or ()),
                ),
            )
        except (AttributeError, TypeError, ValueError) as exc:
            raise fail(f"type {name}: {exc}") from exc
    hierarchy = data.get("hierarchy") or ()
    if not isinstance(hierarchy, list) or not all(isinstance(t, str) for t in hierarchy):
        raise fail("'hierarchy' must be a list of type names, outermost first")
    # hierarchy types first, in hierarchy order: loading resolves parents level by level, top down,
    # whatever order the file lists its types in
    types = {**{t: types[t] for t in hierarchy if t in types}, **types}
    try:
        return Domain(
            name=str(data.get("name", "custom")),
            types=types,
            hierarchy=tuple(hierarchy),
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
        text = read_utf8(Path(path))
        source = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(yaml_problem(exc, source)) from None
    return _parse_domain(data, source)


def domain_for_directory(directory: Path) -> Domain:
    """The directory's own ``domain.yaml`` when present, else the default domain."""
    own = Path(directory) / DOMAIN_FILE
    return load_domain(own if own.is_file() else None)


def domain_to_dict(domain: Domain) -> dict[str, object]:
    """The mapping :func:`load_domain` reads back into an equal :class:`Domain`."""
    types: dict[str, object] = {}
    for name, t in domain.types.items():
        rules = t.short_forms
        types[name] = {
            "label": t.label,
            "file": t.file,
            "description": t.description,
            "examples": list(t.examples),
            "file_required": t.file_required,
            "measure_words": list(t.measure_words),
            "short_forms": {
                "strip_suffixes": list(rules.strip_suffixes),
                "add_suffixes": list(rules.add_suffixes),
                "min_length": rules.min_length,
                "suffix_min_lengths": dict(rules.suffix_min_lengths),
                "strip_ethnic": rules.strip_ethnic,
                "stop_forms": list(rules.stop_forms),
            },
        }
    return {"name": domain.name, "language": domain.language, "hierarchy": list(domain.hierarchy), "types": types}


def save_domain(domain: Domain, path: Path) -> None:
    """Write ``domain`` as YAML (a model directory keeps the schema it was trained on)."""
    Path(path).write_text(dump_domain(domain), "utf-8")


def dump_domain(domain: Domain) -> str:
    """``domain`` as ``domain.yaml`` text that :func:`load_domain` reads back to an equal domain."""
    return yaml.safe_dump(domain_to_dict(domain), allow_unicode=True, sort_keys=False)
