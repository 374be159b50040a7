"""Errors raised by services. Every door (admin, UI, API, import) maps them to its own answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ServiceError(Exception):
    """Base class: a use case refused to run. Nothing was written."""

    code = "error"

    def __init__(self, message: str = "", **extra: Any) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.extra = extra


class NotFound(ServiceError):
    """The object does not exist or the user may not see it (both answer the same, 404)."""

    code = "not_found"


class PermissionDenied(ServiceError):
    code = "permission_denied"


class ValidationError(ServiceError):
    """Bad input. ``errors`` maps a field name to a list of messages."""

    code = "validation_error"

    def __init__(self, errors: dict[str, list[str] | str]) -> None:
        self.errors = {k: ([str(v)] if isinstance(v, str) else [str(m) for m in v])
                       for k, v in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


class Conflict(ServiceError):
    """Someone else changed the object first (a concurrent move, a stale version)."""

    code = "conflict"


@dataclass(frozen=True)
class MissingFact:
    """One unmet exit requirement. ``message`` holds the text in every UI language."""

    code: str
    stage_id: int
    requirement_id: int | None
    message: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "stage_id": self.stage_id,
            "requirement_id": self.requirement_id,
            "message": dict(self.message),
        }


class GateRefused(ServiceError):
    """A move was refused because exit facts are missing; ``missing`` lists them."""

    code = "facts_missing"

    def __init__(self, message: str, missing: list[MissingFact]) -> None:
        super().__init__(message)
        self.missing = missing


class MoveRefused(ServiceError):
    """A move that the method forbids whatever the facts (backward, closed deal, …)."""

    code = "move_refused"
