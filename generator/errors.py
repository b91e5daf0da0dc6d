"""Errors of the generator."""

from __future__ import annotations

from nerloop.errors import InputError, NerloopError


class GrammarError(InputError):
    """A grammar file is invalid; every problem names the file and line."""


class GrammarExhausted(NerloopError):
    """The grammar cannot yield the requested number of unique samples."""
