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
    assert copy.forms == automaton.forms
    assert copy.find("𠀀菏泽市") == automaton.find("𠀀菏泽市") == [(0, 1, 3), (2, 2, 3), (1, 1, 4)]
