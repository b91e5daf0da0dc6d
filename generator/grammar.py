"""Template grammars: YAML files whose templates are jinja2 expressions over slots and fragments.

A template such as ``{{date}}{{city}}{{substation.short}}{{indicator}}{{qty}}`` names
slots (one per entity type, lower-cased, with an optional surface form: ``full``,
``alias``, ``short`` or ``any``; ``{{date.other}}`` is a second, independent date and
``{{date.compare}}`` a comparison such as 同比), reusable fragments (``{{polite}}``) and faker
distractors (``{{person}}``); ``{{x | maybe(0.3)}}`` keeps ``x`` with probability 0.3.
A slot with ``_2`` (``{{company_2}}``, ``{{substation_2.short}}``) names a second unit of
the same level as the first, from a second chain (a sibling where there is one), for
comparisons and lists: ``对比{{company}}和{{company_2}}``; ``_3`` a third one, different from
both (``{{substation}}、{{substation_2}}、{{substation_3}}``).
Line breaks in a template only lay it out and are dropped: a query is one line.
jinja2 parses the templates; they are compiled once into flat operation lists,
because rendering through jinja2 for every sample would cap throughput far below
what training sets at scale need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml
from jinja2 import nodes

from generator.errors import GrammarError
from nerloop.domain import Domain
from nerloop.errors import Problem
from nerloop.hashing import stable_hex
from nerloop.textfiles import decode_utf8, yaml_problem

LITERAL, SLOT, FRAGMENT, DISTRACTOR, OTHER_SLOT, THIRD_SLOT = 0, 1, 2, 3, 4, 5
SURFACE_FORMS = ("any", "full", "alias", "short")
# Forms of the date slot only: a second, independent date (对比今年和去年), or a comparison (同比, 去年同期).
DATE_FORMS = ("other", "compare")
DISTRACTOR_KINDS = ("person", "org", "address", "lookalike")
OTHER_SUFFIX = "_2"
THIRD_SUFFIX = "_3"
DEFAULT_GRAMMAR = Path(__file__).parent / "data" / "default_grammar.yaml"
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


class _LineLoader(yaml.SafeLoader):
    """Records where things are, so problems point into the file.

    Every mapping gets ``__line__`` (its first line) and ``__lines__``: key → line of
    the key, first line of its value's content, and the lines of its items when the
    value is a list.
    """


@dataclass(frozen=True)
class _Lines:
    key: int
    value: int
    items: tuple[int, ...] = ()


def _content_line(node: yaml.Node) -> int:
    """1-based line where a node's text starts: a block scalar's text begins below its ``|`` or ``>``."""
    line = node.start_mark.line + 1
    return line + 1 if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">") else line


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__lines__"] = {
        key.value: _Lines(
            key.start_mark.line + 1,
            _content_line(value),
            tuple(_content_line(i) for i in value.value) if isinstance(value, yaml.SequenceNode) else (),
        )
        for key, value in node.value
        if isinstance(key, yaml.ScalarNode)
    }
    return mapping


def _lines(spec: Any, key: str) -> _Lines | None:
    return spec.get("__lines__", {}).get(key) if isinstance(spec, dict) else None


def _number(value: Any) -> float | None:
    """``value`` as a float when it is a number (not a bool), else ``None``."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Compiler:
    def __init__(self, source: str, domain: Domain, fragment_specs: dict[str, Any]) -> None:
        self.source = source
        self.slots = {t.lower(): t for t in domain.types}
        self.hierarchy = frozenset(domain.hierarchy)
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
                self.fail(
                    line + node.lineno - 1,
                    f"{where}: {type(node).__name__} blocks are not supported; use fragments and maybe()",
                )
                continue
            for child in node.nodes:
                op = self._compile_node(child, line + child.lineno - 1, where)
                if op is not None:
                    ops.append(op)
        return tuple(ops)

    def _compile_node(self, node: nodes.Node, line: int, where: str, probability: float = 1.0) -> Op | None:
        if isinstance(node, nodes.TemplateData):
            # a query is one line: line breaks only lay out a long template
            return (LITERAL, node.data.replace("\r", "").replace("\n", ""), "", 1.0)
        if isinstance(node, nodes.Filter) and node.name == "maybe":
            if node.kwargs or len(node.args) > 1 or (node.args and not isinstance(node.args[0], nodes.Const)):
                self.fail(line, f"{where}: maybe() takes one number, the probability to keep its input")
                return None
            p = _number(node.args[0].value) if node.args else 0.5
            if p is None or not 0 < p <= 1:
                self.fail(line, f"{where}: maybe({node.args[0].value!r}) needs a probability in (0, 1]")
                return None
            return self._compile_node(node.node, line, where, p * probability) if node.node is not None else None
        form = "any"
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            form, node = node.attr, node.node
        if not isinstance(node, nodes.Name):
            self.fail(
                line, f"{where}: unsupported expression {type(node).__name__}; write {{{{slot}}}} or {{{{fragment}}}}"
            )
            return None
        name = node.name
        unit = next(
            (k for suffix, k in ((OTHER_SUFFIX, OTHER_SLOT), (THIRD_SUFFIX, THIRD_SLOT))
             if name.endswith(suffix) and name[: -len(suffix)] in self.slots),
            None,
        )  # fmt: skip
        if name in self.slots or unit is not None:
            forms = SURFACE_FORMS + (DATE_FORMS if self.slots.get(name) == "Date" else ())
            if form not in forms:
                self.fail(line, f"{where}: unknown surface form {name}.{form}; use one of {', '.join(forms)}")
                return None
            if unit is not None:
                slot = self.slots[name[:-2]]
                if slot not in self.hierarchy:
                    self.fail(line, f"{where}: {name}: only hierarchy slots have a second or third unit")
                    return None
                return (unit, slot, form, probability)
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


def _choices(spec: Any, lines: _Lines | None) -> tuple[list[tuple[Any, Any, int]], Any]:
    """(text, weight, line) per choice and the fragment's ``p``, from a list or a ``{p, choices}`` mapping."""
    if isinstance(spec, dict):
        items, p, lines = spec.get("choices") or [], spec.get("p", 1.0), _lines(spec, "choices")
    else:
        items, p = spec, 1.0
    default = lines.value if lines else 0
    out = []
    for i, choice in enumerate(items):
        line = lines.items[i] if lines and i < len(lines.items) else default
        text, weight = (
            (choice.get("text", ""), choice.get("weight", 1.0)) if isinstance(choice, dict) else (choice, 1.0)
        )
        out.append(("" if text is None else text, weight, line))
    return out, p


def parse_grammar(text: str, domain: Domain, source: str = "<grammar>") -> Grammar:
    """Compile grammar YAML; raises :class:`GrammarError` listing every problem."""
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise GrammarError(yaml_problem(exc, source), "invalid grammar") from None
    if not isinstance(data, dict) or not isinstance(data.get("templates"), list) or not data["templates"]:
        raise GrammarError(Problem(source, 1, "a grammar needs a non-empty 'templates' list"), "invalid grammar")
    fragments_spec = data.get("fragments") or {}
    if not isinstance(fragments_spec, dict):
        raise GrammarError(
            Problem(source, _lines(data, "fragments").key, "'fragments' must be a mapping of name → choices"),
            "invalid grammar",
        )
    fragment_specs = {str(k): v for k, v in fragments_spec.items() if not str(k).startswith("__")}
    compiler = _Compiler(source, domain, fragment_specs)
    fragments: dict[str, Fragment] = {}
    for name, spec in fragment_specs.items():
        lines = _lines(fragments_spec, name)
        line = lines.key if lines else fragments_spec.get("__line__", 1)
        if name in compiler.slots or name in DISTRACTOR_KINDS:
            compiler.fail(line, f"fragment name {name!r} is reserved for a slot or distractor; rename it")
            continue
        if not isinstance(spec, (list, dict)):
            compiler.fail(line, f"fragment {name!r} must be a list of choices or a mapping with 'choices' (and 'p')")
            continue
        choices, p = _choices(spec, lines)
        if not choices:
            compiler.fail(line, f"fragment {name!r} has no choices")
            continue
        weights = [_number(w) for _, w, _ in choices]
        probability = _number(p)
        if any(w is None or w <= 0 for w in weights) or probability is None or not 0 < probability <= 1:
            compiler.fail(line, f"fragment {name!r}: weights must be numbers > 0 and p a number within (0, 1]")
            continue
        alternatives = tuple(compiler.compile_text(str(c), cl or line, f"fragment {name!r}") for c, _, cl in choices)
        cum, total = [], 0.0
        for weight in weights:
            total += weight
            cum.append(total)
        fragments[name] = Fragment(name, alternatives, tuple(cum), probability, line)
    cyclic = _check_cycles(fragments, compiler)
    bounds = _fragment_bounds(fragments, compiler) if not cyclic else None
    templates = []
    slot_memo: dict[tuple[int, str], frozenset[str]] = {}
    template_lines = _lines(data, "templates")
    seen_ids: dict[str, int] = {}
    for index, spec in enumerate(data["templates"]):
        item_line = template_lines.items[index] if template_lines and index < len(template_lines.items) else 0
        if isinstance(spec, str):
            spec = {"text": spec, "__line__": item_line}
        if not isinstance(spec, dict):
            compiler.fail(
                item_line, f"template {index + 1}: write a string or a mapping with 'text' (and 'id', 'weight')"
            )
            continue
        line = spec.get("__line__", item_line)
        template_id = str(spec.get("id", f"t{index + 1}"))
        if template_id in seen_ids:
            compiler.fail(line, f"template id {template_id!r} is used twice (first on line {seen_ids[template_id]})")
        seen_ids.setdefault(template_id, line)
        weight = _number(spec.get("weight", 1.0))
        if weight is None or weight <= 0:
            compiler.fail(line, f"template {template_id!r}: weight must be a positive number")
            continue
        if "text" not in spec:
            compiler.fail(line, f"template {template_id!r}: missing 'text'")
            continue
        text_lines = _lines(spec, "text")
        ops = compiler.compile_text(
            str(spec["text"]), text_lines.value if text_lines else line, f"template {template_id!r}"
        )
        if bounds is not None and (length := _length_bound(ops, bounds)) > MAX_QUERY_LENGTH:
            compiler.fail(
                line,
                f"template {template_id!r} can write queries of {_shown(length)} characters; "
                f"the limit is {MAX_QUERY_LENGTH}: shorten it or its fragments",
            )
        types = frozenset(_reachable_slots(ops, fragments, slot_memo))
        others = frozenset(_reachable_slots(ops, fragments, slot_memo, kind=OTHER_SLOT))
        thirds = frozenset(_reachable_slots(ops, fragments, slot_memo, kind=THIRD_SLOT))
        templates.append(Template(template_id, ops, weight, types, line, spec.get("holdout"), others, thirds))
    distractors = _distractor_sizes(data, templates, fragments, compiler)
    if compiler.problems:
        raise GrammarError(compiler.problems, summary=f"grammar {source} has {len(compiler.problems)} problem(s)")
    fingerprint = stable_hex(text)
    return Grammar(source, tuple(templates), fragments, distractors, fingerprint)


def _distractor_sizes(
    data: dict[str, Any], templates: list[Template], fragments: dict[str, Fragment], compiler: _Compiler
) -> dict[str, int]:
    """Pool size per distractor kind: as declared, or a default for a kind used but not declared."""
    spec = data.get("distractors") or {}
    line = _lines(data, "distractors").key if _lines(data, "distractors") else 1
    sizes: dict[str, int] = {}
    if not isinstance(spec, dict):
        compiler.fail(line, "'distractors' must map person/org/address to a pool size")
        spec = {}
    for kind, size in spec.items():
        if str(kind).startswith("__"):
            continue
        if kind not in DISTRACTOR_KINDS or isinstance(size, bool) or not isinstance(size, int) or size < 1:
            compiler.fail(
                line, f"distractors: {kind}: {size!r}; use {', '.join(DISTRACTOR_KINDS)} with a pool size >= 1"
            )
            continue
        sizes[kind] = size
    used = {value for t in templates for kind, value, _, _ in t.ops if kind == DISTRACTOR}
    used |= {
        value for f in fragments.values() for alt in f.alternatives for kind, value, _, _ in alt if kind == DISTRACTOR
    }
    for kind in sorted(used - set(sizes)):
        sizes[kind] = DEFAULT_DISTRACTOR_POOL
    return sizes


def _reachable_slots(
    ops: tuple[Op, ...], fragments: dict[str, Fragment], memo: dict[tuple[int, str], frozenset[str]], kind: int = SLOT
) -> set[str]:
    """Slot types of ``kind`` that ``ops`` can write; ``memo`` keeps each fragment's answer so shared fragments cost once."""
    found: set[str] = set()
    for op_kind, value, _, _ in ops:
        if op_kind == kind:
            found.add(value)
        elif op_kind == FRAGMENT and value in fragments:
            key = (kind, value)
            if key not in memo:
                memo[key] = frozenset()  # a cycle (reported elsewhere) stops here
                memo[key] = frozenset(
                    t
                    for alternative in fragments[value].alternatives
                    for t in _reachable_slots(alternative, fragments, memo, kind)
                )
            found |= memo[key]
    return found


_CAP = 10**9  # bounds saturate here: an exponential grammar would otherwise build huge integers


def _shown(length: int) -> str:
    return f"over {_CAP:,}" if length >= _CAP else f"{length:,}"


def _length_bound(ops: tuple[Op, ...], bounds: dict[str, tuple[int, int]]) -> int:
    """Most characters ``ops`` can write, a slot or distractor counted as one."""
    total = 0
    for kind, value, _, _ in ops:
        total += len(value) if kind == LITERAL else bounds[value][0] if kind == FRAGMENT else 1
    return min(total, _CAP)


def _fragment_bounds(fragments: dict[str, Fragment], compiler: _Compiler) -> dict[str, tuple[int, int]] | None:
    """(length bound, nesting depth) per fragment; ``None`` after reporting the one over a limit."""
    bounds: dict[str, tuple[int, int]] = {}

    def bound(name: str) -> tuple[int, int]:
        if name not in bounds:
            length = depth = 0
            for alternative in fragments[name].alternatives:
                for kind, value, _, _ in alternative:
                    if kind == FRAGMENT:
                        depth = max(depth, bound(value)[1])
                length = max(length, _length_bound(alternative, bounds))
            bounds[name] = (length, depth + 1)
        return bounds[name]

    for name in fragments:
        bound(name)
    # report the innermost fragment over a limit: that is where the growth has to be cut
    over = [f for f, (length, depth) in bounds.items() if length > MAX_QUERY_LENGTH or depth > MAX_DEPTH]
    for name in sorted(over, key=lambda f: bounds[f])[:1]:
        length, depth = bounds[name]
        what = (
            f"nests {depth} fragments deep (limit {MAX_DEPTH}); flatten it"
            if depth > MAX_DEPTH
            else f"can expand to {_shown(length)} characters (limit {MAX_QUERY_LENGTH}); shorten it or what it uses"
        )
        compiler.fail(fragments[name].line, f"fragment {name!r} {what}")
        return None  # templates over it are not reported again
    return bounds


def _check_cycles(fragments: dict[str, Fragment], compiler: _Compiler) -> bool:
    """Report the first fragment that refers to itself; each fragment is explored once (linear)."""
    done: set[str] = set()

    def visit(name: str, stack: tuple[str, ...]) -> bool:
        if name in stack:
            compiler.fail(fragments[name].line, f"fragment {name!r} refers to itself: {' → '.join((*stack, name))}")
            return True
        if name in done:
            return False
        for alternative in fragments[name].alternatives:
            for kind, value, _, _ in alternative:
                if kind == FRAGMENT and value in fragments and visit(value, (*stack, name)):
                    return True
        done.add(name)
        return False

    return any(visit(name, ()) for name in list(fragments))


def load_grammar(path: Path | None, domain: Domain) -> Grammar:
    """Load a grammar file; ``None`` gives the default power-domain grammar."""
    path = Path(path) if path else DEFAULT_GRAMMAR
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GrammarError(Problem(str(path), 0, f"cannot read grammar: {exc.strerror}"), "invalid grammar") from exc
    return parse_grammar(decode_utf8(data, str(path)), domain, str(path))
