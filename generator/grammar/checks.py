"""Checks over a whole grammar: fragment cycles, length and depth limits, reachable slots, distractor pools."""

from __future__ import annotations

from typing import Any

from generator.grammar.compiler import Compiler
from generator.grammar.model import (
    DEFAULT_DISTRACTOR_POOL,
    DISTRACTOR,
    DISTRACTOR_KINDS,
    FRAGMENT,
    LITERAL,
    MAX_DEPTH,
    MAX_QUERY_LENGTH,
    SLOT,
    Fragment,
    Op,
    Template,
)
from generator.grammar.yaml_lines import lines_at


def distractor_sizes(
    data: dict[str, Any], templates: list[Template], fragments: dict[str, Fragment], compiler: Compiler
) -> dict[str, int]:
    """Pool size per distractor kind: as declared, or a default for a kind used but not declared."""
    spec = data.get("distractors") or {}
    line = lines_at(data, "distractors").key if lines_at(data, "distractors") else 1
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


def reachable_slots(
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
                    for t in reachable_slots(alternative, fragments, memo, kind)
                )
            found |= memo[key]
    return found


_CAP = 10**9  # bounds saturate here: an exponential grammar would otherwise build huge integers


def shown_length(length: int) -> str:
    return f"over {_CAP:,}" if length >= _CAP else f"{length:,}"


def length_bound(ops: tuple[Op, ...], bounds: dict[str, tuple[int, int]]) -> int:
    """Most characters ``ops`` can write, a slot or distractor counted as one."""
    total = 0
    for kind, value, _, _ in ops:
        total += len(value) if kind == LITERAL else bounds[value][0] if kind == FRAGMENT else 1
    return min(total, _CAP)


def fragment_bounds(fragments: dict[str, Fragment], compiler: Compiler) -> dict[str, tuple[int, int]] | None:
    """(length bound, nesting depth) per fragment; ``None`` after reporting the one over a limit."""
    bounds: dict[str, tuple[int, int]] = {}

    def bound(name: str) -> tuple[int, int]:
        if name not in bounds:
            length = depth = 0
            for alternative in fragments[name].alternatives:
                for kind, value, _, _ in alternative:
                    if kind == FRAGMENT:
                        depth = max(depth, bound(value)[1])
                length = max(length, length_bound(alternative, bounds))
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
            else f"can expand to {shown_length(length)} characters (limit {MAX_QUERY_LENGTH}); shorten it or what it uses"
        )
        compiler.fail(fragments[name].line, f"fragment {name!r} {what}")
        return None  # templates over it are not reported again
    return bounds


def check_cycles(fragments: dict[str, Fragment], compiler: Compiler) -> bool:
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
