"""Width folding: full-width forms to their half-width letters, offsets kept.

Users type ``２０２４年`` and ``ＡＢＣ`` as often as ``2024年`` and ``ABC``; the matcher, the
linker and the date finder all compare folded text but report offsets into what the user
typed, so folding must never change the length. Full NFKC may (``㈱`` → ``(株)``); the
query logs are normalized that way on purpose (``active_learning.batch.normalize_query``),
which is a different job.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


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
