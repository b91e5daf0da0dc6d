"""Template grammars: YAML files whose templates are jinja2 expressions over slots and fragments.

A template such as ``{{date}}{{city}}{{substation.short}}{{indicator}}{{qty}}`` names
slots (one per entity type, lower-cased, with an optional surface form: ``full``,
``alias``, ``short`` or ``any``), reusable fragments (``{{polite}}``) and faker
distractors (``{{person}}``); ``{{x | maybe(0.3)}}`` keeps ``x`` with probability 0.3.
jinja2 parses the templates; they are compiled once into flat operation lists,
because rendering through jinja2 for every sample would cap throughput far below
what training sets at scale need.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml
from jinja2 import nodes

from generator.errors import GrammarError
from nerloop.domain import Domain
from nerloop.errors import Problem

LITERAL, SLOT, FRAGMENT, DISTRACTOR = 0, 1, 2, 3
SURFACE_FORMS = ("any", "full", "alias", "short")
DISTRACTOR_KINDS = ("person", "org", "address")
DEFAULT_GRAMMAR = Path(__file__).parent / "data" / "default_grammar.yaml"

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


@dataclass(frozen=True)
class Grammar:
    """A compiled grammar: templates, fragments, distractor pool sizes."""

    source: str
    templates: tuple[Template, ...]
    fragments: dict[str, Fragment]
    distractors: dict[str, int]
    fingerprint: str
    warnings: list[str] = field(default_factory=list)


class _LineLoader(yaml.SafeLoader):
    """Records the line of every mapping as ``__line__`` so problems point into the file."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Compiler:
    def __init__(self, source: str, domain: Domain, fragment_specs: dict[str, Any]) -> None:
        self.source = source
        self.slots = {t.lower(): t for t in domain.types}
        self.fragment_specs = fragment_specs
        self.problems: list[Problem] = []
        self.env = jinja2.Environment()

    def fail(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.source, line, message))

    def compile_text(self, text: str, line: int, where: str) -> tuple[Op, ...]:
        try:
            tree = self.env.parse(text)
        except jinja2.TemplateSyntaxError as exc:
            self.fail(line + (exc.lineno or 1) - 1, f"{where}: jinja2 syntax error: {exc.message}")
            return ()
        ops: list[Op] = []
        for node in tree.body:
            if not isinstance(node, nodes.Output):
                self.fail(line, f"{where}: {type(node).__name__} blocks are not supported; use fragments and maybe()")
                continue
            for child in node.nodes:
                op = self._compile_node(child, line, where)
                if op is not None:
                    ops.append(op)
        return tuple(ops)

    def _compile_node(self, node: nodes.Node, line: int, where: str, probability: float = 1.0) -> Op | None:
        if isinstance(node, nodes.TemplateData):
            return (LITERAL, node.data, "", 1.0)
        if isinstance(node, nodes.Filter) and node.name == "maybe":
            args = [a.value for a in node.args if isinstance(a, nodes.Const)]
            p = float(args[0]) if args else 0.5
            if not 0 < p <= 1:
                self.fail(line, f"{where}: maybe({p}) needs a probability in (0, 1]")
                return None
            return self._compile_node(node.node, line, where, p) if node.node is not None else None
        form = "any"
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            form, node = node.attr, node.node
        if not isinstance(node, nodes.Name):
            self.fail(line, f"{where}: unsupported expression {type(node).__name__}; write {{{{slot}}}} or {{{{fragment}}}}")
            return None
        name = node.name
        if name in self.slots:
            if form not in SURFACE_FORMS:
                self.fail(line, f"{where}: unknown surface form {name}.{form}; use one of {', '.join(SURFACE_FORMS)}")
                return None
            return (SLOT, self.slots[name], form, probability)
        if form != "any":
            self.fail(line, f"{where}: only slots take a surface form, not {name}.{form}")
            return None
        if name in self.fragment_specs:
            return (FRAGMENT, name, "", probability)
        if name in DISTRACTOR_KINDS:
            return (DISTRACTOR, name, "", probability)
        known = sorted(self.slots) + sorted(self.fragment_specs) + list(DISTRACTOR_KINDS)
        self.fail(line, f"{where}: unknown name {name!r}; known slots, fragments and distractors: {', '.join(known)}")
        return None


def _choices(spec: Any) -> tuple[list[tuple[str, float]], float, int]:
    if isinstance(spec, list):
        return [(c, 1.0) if not isinstance(c, dict) else (c.get("text", ""), c.get("weight", 1.0)) for c in spec], 1.0, 0
    line = spec.get("__line__", 0)
    out = []
    for choice in spec.get("choices") or []:
        if isinstance(choice, dict):
            out.append((choice.get("text", ""), choice.get("weight", 1.0)))
        else:
            out.append(("" if choice is None else choice, 1.0))
    return out, spec.get("p", 1.0), line


def parse_grammar(text: str, domain: Domain, source: str = "<grammar>") -> Grammar:
    """Compile grammar YAML; raises :class:`GrammarError` listing every problem."""
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise GrammarError(Problem(source, mark.line + 1 if mark else 1, f"not valid YAML: {exc}"), "invalid grammar") from exc
    if not isinstance(data, dict) or not isinstance(data.get("templates"), list) or not data["templates"]:
        raise GrammarError(Problem(source, 1, "a grammar needs a non-empty 'templates' list"), "invalid grammar")
    fragment_specs = {k: v for k, v in (data.get("fragments") or {}).items() if k != "__line__"}
    compiler = _Compiler(source, domain, fragment_specs)
    for name in fragment_specs:
        if name in compiler.slots or name in DISTRACTOR_KINDS:
            compiler.fail((data.get("fragments") or {}).get("__line__", 1), f"fragment name {name!r} is reserved for a slot")
    fragments: dict[str, Fragment] = {}
    for name, spec in fragment_specs.items():
        choices, p, line = _choices(spec)
        line = line or data["fragments"].get("__line__", 1)
        if not choices:
            compiler.fail(line, f"fragment {name!r} has no choices")
            continue
        if any(w <= 0 for _, w in choices) or not 0 < float(p) <= 1:
            compiler.fail(line, f"fragment {name!r}: weights must be > 0 and p within (0, 1]")
            continue
        alternatives = tuple(compiler.compile_text(str(c), line, f"fragment {name!r}") for c, _ in choices)
        cum, total = [], 0.0
        for _, weight in choices:
            total += float(weight)
            cum.append(total)
        fragments[name] = Fragment(name, alternatives, tuple(cum), float(p), line)
    _check_cycles(fragments, compiler)
    templates = []
    for index, spec in enumerate(data["templates"]):
        if isinstance(spec, str):
            spec = {"text": spec, "__line__": 0}
        line = spec.get("__line__", 0)
        template_id = str(spec.get("id", f"t{index + 1}"))
        weight = spec.get("weight", 1.0)
        if not isinstance(weight, (int, float)) or weight <= 0:
            compiler.fail(line, f"template {template_id!r}: weight must be a positive number")
            continue
        if "text" not in spec:
            compiler.fail(line, f"template {template_id!r}: missing 'text'")
            continue
        ops = compiler.compile_text(str(spec["text"]), line, f"template {template_id!r}")
        types = frozenset(_reachable_slots(ops, fragments))
        templates.append(Template(template_id, ops, float(weight), types, line, spec.get("holdout")))
    ids = [t.id for t in templates]
    for dup in {i for i in ids if ids.count(i) > 1}:
        compiler.fail(next(t.line for t in templates if t.id == dup), f"template id {dup!r} is used twice")
    if compiler.problems:
        raise GrammarError(compiler.problems, summary=f"grammar {source} has {len(compiler.problems)} problem(s)")
    distractors = {k: int(v) for k, v in (data.get("distractors") or {}).items() if k in DISTRACTOR_KINDS}
    fingerprint = hashlib.sha256(text.encode()).hexdigest()
    return Grammar(source, tuple(templates), fragments, distractors, fingerprint)


def _reachable_slots(ops: tuple[Op, ...], fragments: dict[str, Fragment], seen: frozenset[str] = frozenset()) -> set[str]:
    found: set[str] = set()
    for kind, value, _, _ in ops:
        if kind == SLOT:
            found.add(value)
        elif kind == FRAGMENT and value in fragments and value not in seen:
            for alternative in fragments[value].alternatives:
                found |= _reachable_slots(alternative, fragments, seen | {value})
    return found


def _check_cycles(fragments: dict[str, Fragment], compiler: _Compiler) -> None:
    def visit(name: str, stack: tuple[str, ...]) -> None:
        if name in stack:
            compiler.fail(fragments[name].line, f"fragment {name!r} refers to itself: {' → '.join((*stack, name))}")
            return
        for alternative in fragments[name].alternatives:
            for kind, value, _, _ in alternative:
                if kind == FRAGMENT and value in fragments:
                    visit(value, (*stack, name))

    for name in list(fragments):
        before = len(compiler.problems)
        visit(name, ())
        if len(compiler.problems) > before:
            break


def load_grammar(path: Path | None, domain: Domain) -> Grammar:
    """Load a grammar file; ``None`` gives the default power-domain grammar."""
    path = Path(path) if path else DEFAULT_GRAMMAR
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise GrammarError(Problem(str(path), 0, f"cannot read grammar: {exc.strerror}"), "invalid grammar") from exc
    return parse_grammar(text, domain, str(path))
