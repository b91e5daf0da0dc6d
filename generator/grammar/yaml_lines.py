"""YAML that remembers where things are, so a grammar's problems point into its file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


class LineLoader(yaml.SafeLoader):
    """Records where things are, so problems point into the file.

    Every mapping gets ``__line__`` (its first line) and ``__lines__``: key → line of
    the key, first line of its value's content, and the lines of its items when the
    value is a list.
    """


@dataclass(frozen=True)
class Lines:
    key: int
    value: int
    items: tuple[int, ...] = ()


def _content_line(node: yaml.Node) -> int:
    """1-based line where a node's text starts: a block scalar's text begins below its ``|`` or ``>``."""
    line = node.start_mark.line + 1
    return line + 1 if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">") else line


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__lines__"] = {
        key.value: Lines(
            key.start_mark.line + 1,
            _content_line(value),
            tuple(_content_line(i) for i in value.value) if isinstance(value, yaml.SequenceNode) else (),
        )
        for key, value in node.value
        if isinstance(key, yaml.ScalarNode)
    }
    return mapping


def lines_at(spec: Any, key: str) -> Lines | None:
    return spec.get("__lines__", {}).get(key) if isinstance(spec, dict) else None


def number(value: Any) -> float | None:
    """``value`` as a float when it is a number (not a bool), else ``None``."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
