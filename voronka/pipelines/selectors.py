"""Reads of pipelines, scoped: a user sees the pipelines of their team (admins see all)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from voronka.accounts.models import Role, User
from voronka.core.errors import NotFound

from .models import CustomField, LossReason, Pipeline, Stage, StageRequirement


def pipeline_list(*, user: User) -> QuerySet[Pipeline]:
    qs = Pipeline.objects.filter(is_active=True).select_related("team")
    if user.is_admin or (user.role == Role.MARKETER and user.team_id is None):
        return qs
    return qs.filter(team_id=user.team_id)


def pipeline_manage_list(*, user: User) -> list[Pipeline]:
    """The active pipelines ``user`` may set up (settings, lead capture)."""
    from voronka.deals.visibility import can_manage_pipeline

    return [p for p in pipeline_list(user=user) if can_manage_pipeline(user, p)]


def pipeline_get(*, user: User, pk) -> Pipeline:
    try:
        return pipeline_list(user=user).prefetch_related("stages").get(pk=int(pk))
    except (Pipeline.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("pipeline") from exc


def _in_visible_pipeline(qs: QuerySet, pipeline_path: str, *, user: User, pk: Any,
                         name: str) -> Any:
    """The row ``pk`` of ``qs`` if its pipeline (``pipeline_path``) is one the user sees;
    NotFound otherwise, for a bad id too."""
    try:
        return qs.get(pk=int(pk), **{f"{pipeline_path}__in": pipeline_list(user=user)})
    except (qs.model.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(name) from exc


def stage_get(*, user: User, pk) -> Stage:
    """A stage of a pipeline the user sees; NotFound otherwise."""
    return _in_visible_pipeline(Stage.objects.select_related("pipeline", "pipeline__team"),
                                "pipeline", user=user, pk=pk, name="stage")


def stage_list(*, user: User, pipeline_id: int | None = None) -> QuerySet[Stage]:
    """The stages of the pipelines the user sees (of one of them), in pipeline order."""
    qs = Stage.objects.filter(pipeline__in=pipeline_list(user=user))
    if pipeline_id:
        qs = qs.filter(pipeline_id=pipeline_id)
    return qs.select_related("pipeline").order_by("pipeline__position", "pipeline_id",
                                                  "position", "id")


def requirement_get(*, user: User, pk) -> StageRequirement:
    """An exit requirement of a pipeline the user sees; NotFound otherwise."""
    return _in_visible_pipeline(
        StageRequirement.objects.select_related("stage", "stage__pipeline"), "stage__pipeline",
        user=user, pk=pk, name="requirement")


def loss_reason_get(*, user: User, pk) -> LossReason:
    """A loss reason of a pipeline the user sees; NotFound otherwise."""
    return _in_visible_pipeline(LossReason.objects.select_related("pipeline"), "pipeline",
                                user=user, pk=pk, name="loss reason")


def custom_field_list(*, pipeline_id: int) -> list[CustomField]:
    """A pipeline's custom fields in their order (the caller has checked the pipeline)."""
    return list(CustomField.objects.filter(pipeline_id=pipeline_id))


def custom_field_get(*, user: User, pk) -> CustomField:
    """A custom field of a pipeline the user sees; NotFound otherwise."""
    return _in_visible_pipeline(CustomField.objects.select_related("pipeline"), "pipeline",
                                user=user, pk=pk, name="custom field")


def stage_deal_counts(*, pipeline: Pipeline) -> dict[int, int]:
    """Open deals per stage: the editor warns before reordering or deleting stages that
    hold deals (a deal on a stage means the earlier stages' facts are there)."""
    from django.db.models import Count

    from voronka.deals.models import Deal

    rows = (Deal.objects.filter(pipeline=pipeline, status=Deal.Status.OPEN)
            .values("stage_id").annotate(n=Count("id")).values_list("stage_id", "n"))
    return dict(rows)
