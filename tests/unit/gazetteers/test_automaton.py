"""FormAutomaton: every occurrence of every form, overlaps included, at code-point offsets."""

from __future__ import annotations

import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from gazetteers.automaton import FormAutomaton

# few letters, so forms overlap, nest and repeat; 𠀀 lies outside the BMP
LETTERS = st.sampled_from("菏泽巨野城关所𠀀a")
FORMS = st.lists(st.text(LETTERS, min_size=1, max_size=4), min_size=1, max_size=12, unique=True)


def brute_force(forms: list[str], text: str) -> list[tuple[int, int, int]]:
    return sorted(
        (i, start, start + len(form))
        for i, form in enumerate(forms)
        for start in range(len(text) - len(form) + 1)
        if text.startswith(form, start)
    )


@settings(max_examples=300)
@given(FORMS, st.text(LETTERS, max_size=20))
def test_finds_every_occurrence_of_every_form_at_code_point_offsets(forms: list[str], text: str) -> None:
    found = FormAutomaton(forms).find(text)
    assert sorted(found) == brute_force(forms, text)
    assert all(text[start:end] == forms[i] for i, start, end in found)
    assert [end for _, _, end in found] == sorted(end for _, _, end in found)  # by end position


def test_an_automaton_without_forms_finds_nothing_and_pickles_as_its_forms() -> None:
    assert FormAutomaton([]).find("菏泽") == []
    automaton = FormAutomaton(["菏泽", "菏泽市", "泽"])
    copy = pickle.loads(pickle.dumps(automaton))
    assert copy.forms == automaton.forms == ("菏泽", "菏泽市", "泽")
    assert copy.find("𠀀菏泽市") == automaton.find("𠀀菏泽市") == [(0, 1, 3), (2, 2, 3), (1, 1, 4)]


def test_a_lone_surrogate_is_searched_in_its_place_and_offsets_stay_those_of_the_text() -> None:
    automaton = FormAutomaton(["菏泽", "泽"])
    text = "\ud800菏泽\udfff泽"
    found = automaton.find(text)
    assert found == [(0, 1, 3), (1, 2, 3), (1, 4, 5)]
    assert all(text[start:end] == automaton.forms[i] for i, start, end in found)


def test_the_matcher_and_the_lexicon_read_a_text_with_a_lone_surrogate(mini) -> None:
    from gazetteers.matcher import GazetteerMatcher
    from trainer.backends.tagger.lexicon import Lexicon

    text = "\ud800菏泽巨野县投诉"
    entities = GazetteerMatcher(mini).find(text)
    assert [(e.start, e.end, e.text) for e in entities if e.type != "Indicator"] == [(1, 3, "菏泽"), (3, 6, "巨野县")]
    matches = Lexicon(mini, ["City", "Company"]).matches(text)
    assert (1, 3, 0) in matches
