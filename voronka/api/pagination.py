"""Cursor pagination over the primary key: stable under inserts, constant cost per page."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Generic, TypeVar

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field

from voronka.core.errors import ValidationError

from .types import MAX_ID, ShortText

MAX_LIMIT = 500
DEFAULT_LIMIT = 50

T = TypeVar("T")

Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description="Items per page, at most 500.")]
Cursor = Annotated[ShortText, Field(description="The next_cursor of the previous page.")]


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page; "
                                                      "null on the last page.")


def _decode(cursor: str) -> int:
    try:
        value = int(base64.urlsafe_b64decode(cursor.encode("ascii") + b"==").decode("ascii"))
    except (ValueError, UnicodeError) as exc:
        raise ValidationError({"cursor": _("The cursor is not valid.")}) from exc
    if not 0 < value <= MAX_ID:
        raise ValidationError({"cursor": _("The cursor is not valid.")})
    return value


def _encode(pk: int) -> str:
    return base64.urlsafe_b64encode(str(pk).encode("ascii")).decode("ascii").rstrip("=")


def paginate(qs: QuerySet, *, cursor: str | None, limit: int, newest_first: bool = True
             ) -> dict[str, Any]:
    """One page of ``qs`` ordered by id, plus the cursor of the next page."""
    if cursor:
        after = _decode(cursor)
        qs = qs.filter(pk__lt=after) if newest_first else qs.filter(pk__gt=after)
    qs = qs.order_by("-pk" if newest_first else "pk")
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": _encode(rows[-1].pk) if more and rows else None}
