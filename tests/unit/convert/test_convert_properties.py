"""Offsets survive every flat format, whatever the text: astral characters, markup, spaces."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nerloop.convert.bio import bio_to_entities, record_to_bio
from nerloop.convert.label_studio import annotation_to_entities, record_to_task
from nerloop.convert.xml import record_to_xml, xml_to_entities
from nerloop.domain import load_domain
from nerloop.records import Entity, TaggedQuery

DOMAIN = load_domain()
TYPES = list(DOMAIN.types)
# Completed names start with a character no text contains, so they can never be read as mentions.
COMPLETION_MARK = "◆"
CHARS = st.one_of(
    st.sampled_from(list("<>&;amplt/ 　菏泽麒麟所𠀀😀")),
    st.characters(codec="utf-8", exclude_characters=COMPLETION_MARK),
)
TEXTS = st.text(alphabet=CHARS, max_size=30)


@st.composite
def flat_records(draw: st.DrawFn, with_completions: bool = False) -> TaggedQuery:
    """A random text with random non-overlapping (possibly adjacent) mentions."""
    text = draw(TEXTS)
    entities = []
    pos = draw(st.integers(0, 3))
    while pos < len(text) and draw(st.booleans()):
        end = min(len(text), pos + draw(st.integers(1, 6)))
        entities.append(Entity(draw(st.sampled_from(TYPES)), pos, end, text[pos:end]))
        pos = end + draw(st.integers(0, 3))
    resolved: dict[str, str | None] = {}
    if with_completions:
        mentioned = {e.type for e in entities}
        for level in DOMAIN.hierarchy:
            if level not in mentioned and draw(st.booleans()):
                resolved[level] = COMPLETION_MARK + draw(st.text(alphabet=CHARS, max_size=5))
    return TaggedQuery(text, tuple(entities), resolved)


@st.composite
def any_records(draw: st.DrawFn) -> TaggedQuery:
    """A random text with random, possibly overlapping mentions (Label Studio allows them)."""
    text = draw(TEXTS.filter(bool))
    bounds = st.tuples(st.integers(0, len(text) - 1), st.integers(1, len(text))).filter(lambda b: b[0] < b[1])
    picked = draw(st.lists(st.tuples(bounds, st.sampled_from(TYPES)), max_size=6, unique=True))
    entities = sorted((Entity(t, s, e, text[s:e]) for (s, e), t in picked), key=lambda e: (e.start, e.end, e.type))
    return TaggedQuery(text, tuple(entities))


def spans(entities) -> list[tuple[str, int, int, str]]:
    return [(e.type, e.start, e.end, e.text) for e in entities]


@settings(max_examples=200, deadline=None)
@given(flat_records())
def test_bio_round_trip(record):
    tags = record_to_bio(record)
    assert len(tags) == len(record.text)
    assert spans(bio_to_entities(record.text, tags)) == spans(record.entities)


@settings(max_examples=200, deadline=None)
@given(flat_records(with_completions=True))
def test_xml_round_trip(record):
    entities, completions = xml_to_entities(record_to_xml(record, DOMAIN), record.text, DOMAIN)
    assert spans(entities) == spans(record.entities)
    assert completions == record.resolved


@settings(max_examples=200, deadline=None)
@given(any_records())
def test_label_studio_round_trip(record):
    task = record_to_task(record, task_key="k", model_version="generator")
    assert task["data"]["text"] == record.text
    assert spans(annotation_to_entities(record.text, task["predictions"][0]["result"])) == spans(record.entities)
