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

The parts: ``model`` (operations, fragments, templates, limits), ``yaml_lines`` (YAML with
line numbers), ``compiler`` (template text to operations), ``checks`` (cycles, limits,
reachable slots, distractor pools) and ``parse`` (the YAML file to a :class:`Grammar`).
"""

from generator.grammar.model import (
    DATE_FORMS,
    DEFAULT_DISTRACTOR_POOL,
    DEFAULT_GRAMMAR,
    DISTRACTOR,
    DISTRACTOR_KINDS,
    FRAGMENT,
    LITERAL,
    MAX_DEPTH,
    MAX_QUERY_LENGTH,
    OTHER_SLOT,
    OTHER_SUFFIX,
    SLOT,
    SURFACE_FORMS,
    THIRD_SLOT,
    THIRD_SUFFIX,
    Fragment,
    Grammar,
    Op,
    Template,
)
from generator.grammar.parse import load_grammar, parse_grammar

__all__ = [
    "DATE_FORMS",
    "DEFAULT_DISTRACTOR_POOL",
    "DEFAULT_GRAMMAR",
    "DISTRACTOR",
    "DISTRACTOR_KINDS",
    "FRAGMENT",
    "LITERAL",
    "MAX_DEPTH",
    "MAX_QUERY_LENGTH",
    "OTHER_SLOT",
    "OTHER_SUFFIX",
    "SLOT",
    "SURFACE_FORMS",
    "THIRD_SLOT",
    "THIRD_SUFFIX",
    "Fragment",
    "Grammar",
    "Op",
    "Template",
    "load_grammar",
    "parse_grammar",
]
