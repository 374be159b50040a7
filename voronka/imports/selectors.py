"""Reads for the import screens, scoped to the user."""

from __future__ import annotations

from django.db.models import QuerySet

from voronka.accounts.models import Role, User
from voronka.core.errors import NotFound
from voronka.deals.visibility import can_use_pipeline
from voronka.pipelines.models import Pipeline

from .models import ImportRun, SavedMapping


def run_list(*, user: User) -> QuerySet[ImportRun]:
    return ImportRun.objects.filter(user=user).order_by("-created_at", "-id")


def run_get(*, user: User, pk: int) -> ImportRun:
    run = ImportRun.objects.filter(user=user, pk=pk).first()
    if run is None:
        raise NotFound("Import not found.")
    return run


def saved_mapping(*, source: str, kind: str) -> dict[str, str]:
    saved = SavedMapping.objects.filter(source=source, kind=kind).first()
    return dict(saved.mapping) if saved else {}


def importable_pipelines(*, user: User) -> list[Pipeline]:
    return [p for p in Pipeline.objects.filter(is_active=True).select_related("team")
            if can_use_pipeline(user, p)]


def import_owners(*, user: User | None) -> QuerySet[User]:
    """Who may own what an import writes: an active manager, head of sales or administrator, of
    the importer's own team unless the importer is an administrator (or the command line)."""
    users = User.objects.filter(is_active=True, role__in=(Role.MANAGER, Role.HEAD, Role.ADMIN))
    if user is not None and not user.is_admin:
        users = users.filter(team_id=user.team_id)
    return users.order_by("full_name", "email")
