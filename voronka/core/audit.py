"""Recording field changes. Called by services inside their transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from .models import FieldChange


def audit_repr(value: Any) -> str:
    """A stable text form of a field value for the audit trail."""
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return f"{value.pk}:{value}"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def record_changes(
    *,
    entity: str,
    object_id: int,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    user,
    at: datetime | None = None,
) -> list[FieldChange]:
    """Write one FieldChange per key whose text form differs between before and after."""
    at = at or timezone.now()
    rows = []
    for name in after:
        old, new = audit_repr(before.get(name)), audit_repr(after.get(name))
        if old != new:
            rows.append(FieldChange(entity=entity, object_id=object_id, field=name,
                                    old_value=old, new_value=new, changed_by=user, changed_at=at))
    if rows:
        FieldChange.objects.bulk_create(rows)
    return rows


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}
