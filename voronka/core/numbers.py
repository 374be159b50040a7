"""Whole numbers from request text (ids, row indexes, offsets).

``str.isdigit()`` is not the test: it is true for "²" and "٣", which ``int()`` refuses or reads
as a digit the user did not type, and a twenty-digit id overflows SQLite's 64-bit integer.
"""

from __future__ import annotations

from typing import Any

MAX_DB_INT = 2**63 - 1


def ascii_digits(text: str) -> bool:
    """True for a non-empty string of the digits 0–9 only."""
    return text.isascii() and text.isdigit()


def parse_int(raw: Any, *, minimum: int = 0, maximum: int = MAX_DB_INT) -> int | None:
    """The whole number ``raw`` spells in ASCII digits, if within [minimum, maximum]; else None."""
    text = str(raw if raw is not None else "").strip()
    if not ascii_digits(text) or len(text) > 19:
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def parse_id(raw: Any) -> int | None:
    """A database id from request text, or None when it cannot be one."""
    return parse_int(raw, minimum=1)
