"""Decode CSV files the way Chinese Excel exports write them.

Excel on a Chinese Windows saves "CSV" as GBK, "CSV UTF-8" with a BOM, and
"Unicode text" as tab-separated UTF-16 with a BOM. We read all of them and refuse
anything else rather than produce mojibake.
"""

from __future__ import annotations

import codecs
import unicodedata

_BOMS = ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class EncodingProblem(ValueError):
    """The bytes are in none of the supported encodings."""


def _looks_like_text(text: str) -> bool:
    for ch in text:
        if ch in "\t\r\n":
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Co", "Cs") or (category == "Cn" and ord(ch) < 0x20000):
            # Unassigned code points beyond the BMP are new CJK extensions (𱳪), not noise.
            return False
    return True


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``; try UTF-8 (with or without BOM), UTF-16 with BOM, GB18030.

    GB18030 is a superset of GBK and GB2312. Decoded text holding control, private-use
    or unassigned characters is rejected: that is what a wrong guess looks like.
    """
    candidates = ["utf-8-sig"]
    candidates += [enc for bom, enc in _BOMS if data.startswith(bom)]
    candidates.append("gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        text = text.lstrip("\ufeff")
        if _looks_like_text(text):
            name = "utf-8" if encoding == "utf-8-sig" and not data.startswith(codecs.BOM_UTF8) else encoding
            return text, name
    raise EncodingProblem("not UTF-8, UTF-8 with BOM, UTF-16 with BOM or GB18030/GBK; re-save the file as 'CSV UTF-8'")


def sniff_delimiter(header_line: str) -> str:
    """Tab for Excel's "Unicode text" exports, comma otherwise (semicolon if it is the only one)."""
    counts = {d: header_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","
