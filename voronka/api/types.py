"""Input types shared by every schema: each refuses, with a field-named 422, the values the
databases would choke on (NUL characters, lone surrogates, integers past 64 bits, dates
beyond what a timezone conversion survives)."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import AfterValidator, Field

from voronka.core.normalize import unstorable

MAX_ID = 2**63 - 1
MAX_INT = 2**31 - 1


def _clean_text(value: str) -> str:
    problem = unstorable(value)
    if problem:
        raise ValueError(problem)
    return value


def _clean_json(value: Any, depth: int = 0) -> Any:
    if depth > 5:
        raise ValueError(_("Nested too deeply."))
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, dict):
        return {_clean_text(str(k)): _clean_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_json(v, depth + 1) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        raise ValueError(_("The number is too large."))
    return value


def _clean_moment(value: datetime.datetime) -> datetime.datetime:
    if not 1900 <= value.year <= 2999:
        raise ValueError(_("The year must be between 1900 and 2999."))
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _clean_day(value: datetime.date) -> datetime.date:
    if not 1900 <= value.year <= 2999:
        raise ValueError(_("The year must be between 1900 and 2999."))
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]
Text = Annotated[str, Field(max_length=10_000), AfterValidator(_clean_text)]
ShortText = Annotated[str, Field(max_length=300), AfterValidator(_clean_text)]
SourceText = Annotated[str, Field(max_length=100), AfterValidator(_clean_text)]  # Deal.source
JsonObject = Annotated[dict[str, Any], AfterValidator(_clean_json)]
Moment = Annotated[datetime.datetime, AfterValidator(_clean_moment)]
Day = Annotated[datetime.date, AfterValidator(_clean_day)]
