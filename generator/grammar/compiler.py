"""Template text to operations: jinja2 parses it once, the nodes become a flat operation list."""

from __future__ import annotations

from typing import Any

import jinja2
from jinja2 import nodes

from generator.grammar.model import (
    DATE_FORMS,
    DISTRACTOR,
    DISTRACTOR_KINDS,
    FRAGMENT,
    LITERAL,
    OTHER_SLOT,
    OTHER_SUFFIX,
    SLOT,
    SURFACE_FORMS,
    THIRD_SLOT,
    THIRD_SUFFIX,
    Op,
)
from generator.grammar.yaml_lines import number
from nerloop.domain import Domain
from nerloop.errors import Problem


class Compiler:
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
            p = number(node.args[0].value) if node.args else 0.5
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
