"""Errors raised when converting records to and from external formats."""

from __future__ import annotations

from nerloop.errors import NerloopError
from nerloop.records import SpanError


class ConvertError(NerloopError, ValueError):
    """Data in an external format cannot be turned into (or made from) a record."""


class OverlapError(SpanError, ConvertError):
    """Two mentions overlap: flat formats (BIO, inline XML) cannot say that."""


class SpanMismatch(SpanError, ConvertError):
    """A span pulled from outside does not select the text it claims; offsets drifted."""


class XmlParseError(ConvertError):
    """Model output is not well-formed inline XML, or does not reproduce the query text."""
