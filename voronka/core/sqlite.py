"""SQLite's LIKE folds the case of ASCII letters only: "мезонин" would not find "Мезонин",
while on PostgreSQL (UPPER(…) LIKE UPPER(…)) it does. Django runs ``icontains``, ``iexact``
and the like as LIKE on SQLite, so each new SQLite connection gets a LIKE that folds every
letter's case (Python's casefold), the same for searches, lists and capture's dedupe."""

from __future__ import annotations

import functools
import re
from typing import Any


@functools.lru_cache(maxsize=256)
def _pattern(pattern: str, escape: str | None) -> re.Pattern[str]:
    out, chars, i = [], pattern.casefold(), 0
    while i < len(chars):
        c = chars[i]
        if escape is not None and c == escape and i + 1 < len(chars):
            out.append(re.escape(chars[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def like(pattern: Any, value: Any, escape: Any = None) -> bool | None:
    """SQLite's like(X, Y[, Z]): ``value LIKE pattern ESCAPE escape``; NULL in, NULL out."""
    if pattern is None or value is None:
        return None
    return _pattern(str(pattern), escape).fullmatch(str(value).casefold()) is not None


def install(sender: Any, connection: Any, **kwargs: Any) -> None:
    """connection_created: on SQLite, replace LIKE with the case-folding one."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function("like", 2, like, deterministic=True)
    raw.create_function("like", 3, like, deterministic=True)
