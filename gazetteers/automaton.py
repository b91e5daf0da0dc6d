"""Every occurrence of every surface form in a text, in one Aho-Corasick pass.

The matcher and the tagger's lexicon features both ask this of each query. The automaton is
ahocorasick_rs (the Rust ``aho-corasick`` crate): pyahocorasick, used before, keeps a node's
children in a list it searches linearly, and the root of the national gazetteer's 149,840 forms
has 2,495 children, walked whole for every query character that starts no form (a fifth of them).
Its search took 5.2–6.8 µs a query of bench/resolve.py's national queries, this one 3.2 µs,
with the same matches.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import ahocorasick_rs

# A lone surrogate has no UTF-8 form, which the Rust search needs; no surface form holds one.
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # the escapes read by re: mypyc takes no surrogate in a literal


class FormAutomaton:
    """Finds ``forms`` in texts, overlapping occurrences included; offsets are code points.

    Args:
        forms: the distinct non-empty strings to find; a hit names its form by position in ``forms``.
    """

    def __init__(self, forms: Sequence[str]) -> None:
        self.forms = tuple(forms)
        self._search = (
            ahocorasick_rs.AhoCorasick(
                list(self.forms), matchkind=ahocorasick_rs.MatchKind.Standard
            ).find_matches_as_indexes
            if self.forms
            else None
        )

    def __reduce__(self) -> tuple[type[FormAutomaton], tuple[tuple[str, ...]]]:
        """Pickled as its forms and built again (the Rust automaton does not pickle)."""
        return (FormAutomaton, (self.forms,))

    def find(self, text: str) -> list[tuple[int, int, int]]:
        """``(form index, start, end)`` of every occurrence of every form in ``text``, by end position.

        Any text is accepted: a lone surrogate (which a JSON file can hold) is searched as U+FFFD,
        one code point for one, so offsets stay those of ``text``.
        """
        if self._search is None:
            return []
        try:
            return self._search(text, overlapping=True)
        except UnicodeEncodeError:
            return self._search(_SURROGATE.sub("\ufffd", text), overlapping=True)
