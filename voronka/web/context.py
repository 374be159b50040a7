"""Template context for every page of the web UI."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The number of the user's overdue tasks, shown next to "My tasks" (one count query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "htmx", False):
        return {}
    from voronka.activities.selectors import task_overdue

    return {"nav_overdue": task_overdue(user=user).count()}
