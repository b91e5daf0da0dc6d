"""Decode CSV files the way Chinese Excel exports write them, and never into mojibake.

Excel on a Chinese Windows saves "CSV" as GBK, "CSV UTF-8" with a BOM, and
"Unicode text" as tab-separated UTF-16 with a BOM. Valid UTF-8 always wins. GB18030
(a superset of GBK) is only tried when the bytes are not UTF-8, and only accepted
when they do not look like UTF-8 with a few corrupt bytes and the decoded text reads
like Chinese: most of its Han characters among the 3,755 common ones (GB2312 level 1).
UTF-8 misread as GB18030 gives mostly rare characters (about 15 % common ones in
measurements; real gazetteers, national one included, have over 98 %). Anything else
is an error naming the byte offset and the line.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from nerloop.textfiles import CONVERT_HINT, utf8_message

_BOMS = ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_UTF8_SEQUENCE = re.compile(rb"[\xC2-\xDF][\x80-\xBF]|[\xE0-\xEF][\x80-\xBF]{2}|[\xF0-\xF4][\x80-\xBF]{3}")
# share of non-ASCII bytes in valid UTF-8 sequences above which a file is UTF-8 with corrupt bytes
# (GBK text scores 0.25-0.45 on real gazetteers, a little more on a few names)
UTF8_LIKE = 0.9
# least share of common Han characters (GB2312 level 1) for a GB18030 reading to be believed
COMMON_HAN = 0.7


class EncodingProblem(ValueError):
    """The bytes are in none of the supported encodings.

    Args:
        message: what is wrong and what to do.
        line: 1-based line of the first offending byte (0: the whole file).
    """

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


def _first_non_text(text: str) -> int:
    """Index of the first control, private-use or unassigned character; -1 when there is none."""
    for i, ch in enumerate(text):
        if ch in "\t\r\n":
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Co", "Cs") or (category == "Cn" and ord(ch) < 0x20000):
            # Unassigned code points beyond the BMP are new CJK extensions (𱳪), not noise.
            return i
    return -1


def _checked(text: str, encoding: str) -> tuple[str, str]:
    bad = _first_non_text(text)
    if bad >= 0:
        line = text.count("\n", 0, bad) + 1
        raise EncodingProblem(
            f"character U+{ord(text[bad]):04X} ({unicodedata.name(text[bad], 'control')}) is not text "
            f"(read as {encoding}); remove it or {CONVERT_HINT}",
            line,
        )
    return text, encoding


def _utf8_error(data: bytes, exc: UnicodeDecodeError, why: str) -> EncodingProblem:
    return EncodingProblem(utf8_message(data, exc, why), data.count(b"\n", 0, exc.start) + 1)


def _utf8_share(data: bytes) -> float:
    non_ascii = sum(b >= 0x80 for b in data)
    return sum(len(m) for m in _UTF8_SEQUENCE.findall(data)) / non_ascii if non_ascii else 0.0


def _common_han_share(text: str) -> float:
    han = common = 0
    for ch in text:
        if "\u4e00" <= ch <= "\u9fff":
            han += 1
            try:
                common += 0xB0 <= ch.encode("gb2312")[0] <= 0xD7
            except UnicodeEncodeError:
                pass
    return common / han if han else 0.0


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``: UTF-8 (with or without BOM), UTF-16 with BOM, or plausible GB18030.

    Raises:
        EncodingProblem: with the line (and byte offset) of the first byte that fits none of them.
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return _checked(data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as exc:
            exc.start += len(codecs.BOM_UTF8)
            raise _utf8_error(data, exc, "the file starts with a UTF-8 BOM") from None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data.decode(encoding).lstrip("\ufeff"), encoding)
            except UnicodeDecodeError as exc:
                raise EncodingProblem(f"not valid UTF-16 at byte offset {exc.start}; {CONVERT_HINT}") from None
    try:
        return _checked(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if _utf8_share(data) >= UTF8_LIKE:
        raise _utf8_error(data, utf8_error, "the rest of the file is UTF-8, so this byte is corrupt")
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise _utf8_error(data, utf8_error, "nor is the file GB18030/GBK") from None
    if _common_han_share(text) < COMMON_HAN:
        raise _utf8_error(data, utf8_error, "read as GB18030/GBK it gives unlikely characters")
    return _checked(text, "gb18030")


def sniff_delimiter(header_line: str) -> str:
    """Tab for Excel's "Unicode text" exports, comma otherwise (semicolon if it is the only one)."""
    counts = {d: header_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","
