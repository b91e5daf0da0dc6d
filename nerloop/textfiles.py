"""Reading the text files users hand in (grammars, domain files, query files) strictly.

A file that is not UTF-8 is an error that says where: the byte offset and the line,
so a user finds the one corrupt byte instead of getting mojibake or a traceback.
YAML errors become one located line too.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import yaml

from nerloop.errors import InputError, Problem

CONVERT_HINT = "re-save it as UTF-8 (e.g. iconv -f GB18030 -t UTF-8)"


def utf8_message(data: bytes, exc: UnicodeDecodeError, why: str = "", base_offset: int = 0) -> str:
    """The one text for bytes that are not UTF-8: the byte, its offset in the file, what to do.

    Args:
        data: the bytes that failed to decode.
        exc: the decoding error for ``data``.
        why: what else was tried, said before the advice.
        base_offset: where ``data`` starts in the file (a line read on its own).
    """
    byte, offset = data[exc.start], base_offset + exc.start
    return f"not valid UTF-8: byte 0x{byte:02x} at byte offset {offset}; " + (f"{why}; " if why else "") + CONVERT_HINT


def utf8_problem(source: str, data: bytes, exc: UnicodeDecodeError, first_line: int = 1) -> Problem:
    """A :class:`Problem` at the line of the first byte that is not UTF-8, with its offset."""
    line = first_line + data.count(b"\n", 0, exc.start)
    return Problem(source, line, utf8_message(data, exc))


def decode_utf8(data: bytes, source: str) -> str:
    """UTF-8 with or without BOM, strictly.

    Raises:
        InputError: naming the line and byte offset of the first invalid byte.
    """
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        exc.start += bom
        raise InputError(utf8_problem(source, data, exc)) from None


def read_utf8(path: Path) -> str:
    """A whole text file, strictly UTF-8 (a BOM is dropped)."""
    return decode_utf8(Path(path).read_bytes(), str(path))


def yaml_problem(exc: yaml.YAMLError, source: str) -> Problem:
    """A YAML error as one located problem (PyYAML's own text spans several lines)."""
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else 1
    what = " ".join(str(getattr(exc, "problem", None) or exc).split())
    context = getattr(exc, "context", None)
    return Problem(source, line, f"not valid YAML: {what}" + (f" ({' '.join(context.split())})" if context else ""))
