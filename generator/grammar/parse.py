"""Grammar YAML to a compiled :class:`Grammar`, every problem reported at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from generator.errors import GrammarError
from generator.grammar.checks import (
    check_cycles,
    distractor_sizes,
    fragment_bounds,
    length_bound,
    reachable_slots,
    shown_length,
)
from generator.grammar.compiler import Compiler
from generator.grammar.model import (
    DEFAULT_GRAMMAR,
    DISTRACTOR_KINDS,
    MAX_QUERY_LENGTH,
    OTHER_SLOT,
    THIRD_SLOT,
    Fragment,
    Grammar,
    Template,
)
from generator.grammar.yaml_lines import LineLoader, Lines, lines_at, number
from nerloop.domain import Domain
from nerloop.errors import Problem
from nerloop.hashing import stable_hex
from nerloop.textfiles import decode_utf8, yaml_problem


def _choices(spec: Any, lines: Lines | None) -> tuple[list[tuple[Any, Any, int]], Any]:
    """(text, weight, line) per choice and the fragment's ``p``, from a list or a ``{p, choices}`` mapping."""
    if isinstance(spec, dict):
        items, p, lines = spec.get("choices") or [], spec.get("p", 1.0), lines_at(spec, "choices")
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
        data = yaml.load(text, Loader=LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise GrammarError(yaml_problem(exc, source), "invalid grammar") from None
    if not isinstance(data, dict) or not isinstance(data.get("templates"), list) or not data["templates"]:
        raise GrammarError(Problem(source, 1, "a grammar needs a non-empty 'templates' list"), "invalid grammar")
    fragments_spec = data.get("fragments") or {}
    if not isinstance(fragments_spec, dict):
        raise GrammarError(
            Problem(source, lines_at(data, "fragments").key, "'fragments' must be a mapping of name → choices"),
            "invalid grammar",
        )
    fragment_specs = {str(k): v for k, v in fragments_spec.items() if not str(k).startswith("__")}
    compiler = Compiler(source, domain, fragment_specs)
    fragments = _compile_fragments(fragments_spec, fragment_specs, compiler)
    cyclic = check_cycles(fragments, compiler)
    bounds = fragment_bounds(fragments, compiler) if not cyclic else None
    templates = _compile_templates(data, fragments, bounds, compiler)
    distractors = distractor_sizes(data, templates, fragments, compiler)
    if compiler.problems:
        raise GrammarError(compiler.problems, summary=f"grammar {source} has {len(compiler.problems)} problem(s)")
    fingerprint = stable_hex(text)
    return Grammar(source, tuple(templates), fragments, distractors, fingerprint)


def _compile_fragments(
    fragments_spec: dict[str, Any], fragment_specs: dict[str, Any], compiler: Compiler
) -> dict[str, Fragment]:
    fragments: dict[str, Fragment] = {}
    for name, spec in fragment_specs.items():
        lines = lines_at(fragments_spec, name)
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
        weights = [number(w) for _, w, _ in choices]
        probability = number(p)
        if any(w is None or w <= 0 for w in weights) or probability is None or not 0 < probability <= 1:
            compiler.fail(line, f"fragment {name!r}: weights must be numbers > 0 and p a number within (0, 1]")
            continue
        alternatives = tuple(compiler.compile_text(str(c), cl or line, f"fragment {name!r}") for c, _, cl in choices)
        cum, total = [], 0.0
        for weight in weights:
            total += weight
            cum.append(total)
        fragments[name] = Fragment(name, alternatives, tuple(cum), probability, line)
    return fragments


def _compile_templates(
    data: dict[str, Any],
    fragments: dict[str, Fragment],
    bounds: dict[str, tuple[int, int]] | None,
    compiler: Compiler,
) -> list[Template]:
    templates = []
    slot_memo: dict[tuple[int, str], frozenset[str]] = {}
    template_lines = lines_at(data, "templates")
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
        weight = number(spec.get("weight", 1.0))
        if weight is None or weight <= 0:
            compiler.fail(line, f"template {template_id!r}: weight must be a positive number")
            continue
        if "text" not in spec:
            compiler.fail(line, f"template {template_id!r}: missing 'text'")
            continue
        text_lines = lines_at(spec, "text")
        ops = compiler.compile_text(
            str(spec["text"]), text_lines.value if text_lines else line, f"template {template_id!r}"
        )
        if bounds is not None and (length := length_bound(ops, bounds)) > MAX_QUERY_LENGTH:
            compiler.fail(
                line,
                f"template {template_id!r} can write queries of {shown_length(length)} characters; "
                f"the limit is {MAX_QUERY_LENGTH}: shorten it or its fragments",
            )
        types = frozenset(reachable_slots(ops, fragments, slot_memo))
        others = frozenset(reachable_slots(ops, fragments, slot_memo, kind=OTHER_SLOT))
        thirds = frozenset(reachable_slots(ops, fragments, slot_memo, kind=THIRD_SLOT))
        templates.append(Template(template_id, ops, weight, types, line, spec.get("holdout"), others, thirds))
    return templates


def load_grammar(path: Path | None, domain: Domain) -> Grammar:
    """Load a grammar file; ``None`` gives the default power-domain grammar."""
    path = Path(path) if path else DEFAULT_GRAMMAR
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GrammarError(Problem(str(path), 0, f"cannot read grammar: {exc.strerror}"), "invalid grammar") from exc
    return parse_grammar(decode_utf8(data, str(path)), domain, str(path))
