"""Scores as records hold them: rounded to four decimal places, remembered.

``round(x, 4)`` of a float goes through a correctly rounded decimal conversion (0.7 µs on the
2-core bench host, as much as building a record's entity), and a tagging pipeline rounds several
scores per query: the matcher's confidences, a model's span scores and calibrated confidences,
the query's uncertainty. Those come from small sets (confidences of rounded raw scores, fractions
of a few counts), so :func:`round4` looks each value up in a bounded table first. Its results are
``round(x, 4)``'s, to the bit.
"""

from __future__ import annotations

ROUNDED_LIMIT = 1 << 16
"""Distinct values remembered; the table starts again when full (memory stays bounded)."""

_rounded: dict[float, float] = {}


def round4(value: float) -> float:
    """``round(value, 4)``, remembered. Zeros come back as given: 0.0 and -0.0 are one key, and
    ``round`` keeps the sign."""
    if value == 0.0:
        return value
    found = _rounded.get(value)
    if found is None:
        if len(_rounded) >= ROUNDED_LIMIT:
            _rounded.clear()
        found = _rounded[value] = round(value, 4)
    return found
