"""LLaMA-Factory's alpaca format for the generative backend.

The instruction is built from the domain, so another ``domain.yaml`` gives
another prompt without code changes; the target is :func:`record_to_xml`.
"""

from __future__ import annotations

from nerloop.convert.xml import record_to_xml
from nerloop.domain import Domain
from nerloop.records import TaggedQuery


def type_lines(domain: Domain) -> list[str]:
    """One prompt line per entity type: name, Chinese label, description, examples."""
    lines = []
    for name, t in domain.types.items():
        line = f"- {name}（{t.label}）"
        if t.description:
            line += f"：{t.description}"
        if t.examples:
            sep = "；" if t.description and not t.description.endswith("。") else ""
            line += f"{sep}例如：{'、'.join(t.examples)}"
        lines.append(line)
    return lines


def instruction(domain: Domain) -> str:
    """The task description the model sees before every query."""
    lines = [
        "标出查询中的实体：原样抄写查询，用以类型命名的 XML 标签包住每个实体，例如 <Type>原文</Type>；"
        "不要改动、增加或删除原文的任何字符。",
        "实体类型：",
        *type_lines(domain),
    ]
    if domain.hierarchy:
        first = domain.hierarchy[0]
        lines += [
            f"层级（从上到下）：{' > '.join(domain.hierarchy)}。",
            "查询没有写出的上级层级，只在能由查询中的下级实体唯一确定时才补全："
            f"写成 <{first}>规范全称</{first}> 这样的标签，放在最先出现的下级实体之前；"
            "有多种可能时不要补全，绝不猜测。",
        ]
    return "\n".join(lines)


def record_to_alpaca(record: TaggedQuery, domain: Domain) -> dict[str, str]:
    """One training example: domain instruction, the query, its inline-XML annotation.

    Raises:
        SpanError: a span does not select its text.
        OverlapError: two mentions overlap.
    """
    return {"instruction": instruction(domain), "input": record.text, "output": record_to_xml(record, domain)}


def dataset_info(files: dict[str, str]) -> dict[str, dict[str, object]]:
    """Entries for LLaMA-Factory's ``dataset_info.json``: split name → alpaca file name.

    Each split becomes dataset ``nerloop_{split}`` so ``--dataset nerloop_train`` finds it.
    """
    columns = {"prompt": "instruction", "query": "input", "response": "output"}
    return {f"nerloop_{split}": {"file_name": name, "columns": dict(columns)} for split, name in files.items()}
