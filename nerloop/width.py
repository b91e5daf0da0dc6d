"""Width folding: full-width forms to their half-width letters, offsets kept; and back, for noise.

Users type ``２０２４年`` and ``ＡＢＣ`` as often as ``2024年`` and ``ABC``; the matcher, the
linker and the date finder all compare folded text but report offsets into what the user
typed, so folding must never change the length. Full NFKC may (``㈱`` → ``(株)``); the
query logs are normalized that way on purpose (``active_learning.batch.normalize_query``),
which is a different job.
"""

from __future__ import annotations

import string
import unicodedata
from functools import lru_cache

_FULL_ALNUM = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in string.digits + string.ascii_letters})
_FULL_ASCII = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}  # every printable ASCII character but space


def fold_width(text: str) -> str:
    """Full-width to half-width (and other NFKC compatibility forms) character by character.

    Characters whose NFKC form is longer than one code point are kept, so offsets
    into the folded text are offsets into the original.
    """
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text  # no character of a normalized text changes on its own: the common case, in C
    return "".join(map(_fold_char, text))


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch


def to_full_width(text: str, *, punctuation: bool = False) -> str:
    """ASCII letters and digits (with ``punctuation``, every printable ASCII character but the space)
    to their full-width forms, as users type them; one code point each, so spans stay valid.

    The inverse of :func:`fold_width` on those characters, for the generator's noise.
    """
    return text.translate(_FULL_ASCII if punctuation else _FULL_ALNUM)
