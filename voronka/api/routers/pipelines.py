"""Pipelines with their stages, exit requirements, loss reasons and custom fields (read)."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema

from voronka.api.pagination import Cursor, Limit, Page, paginate
from voronka.api.types import Id
from voronka.pipelines.selectors import pipeline_get, pipeline_list

router = Router(tags=["pipelines"])


class RequirementOut(Schema):
    id: int
    kind: str
    field_name: str
    custom_field_id: int | None
    task_kind: str
    payment_share: Decimal | None
    fact_name: str
    position: int


class StageOut(Schema):
    id: int
    name: str
    goal: str
    position: int
    time_limit_hours: int | None
    probability: int
    requirements: list[RequirementOut]

    @staticmethod
    def resolve_requirements(obj) -> list:
        return list(obj.requirements.all())


class LossReasonOut(Schema):
    id: int
    name: str
    is_active: bool


class CustomFieldOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    choices: list


class PipelineOut(Schema):
    id: int
    name: str
    team_id: int
    position: int
    is_active: bool


class PipelineDetailOut(PipelineOut):
    stages: list[StageOut]
    loss_reasons: list[LossReasonOut]
    custom_fields: list[CustomFieldOut]

    @staticmethod
    def resolve_stages(obj) -> list:
        return list(obj.stages.prefetch_related("requirements").order_by("position", "id"))

    @staticmethod
    def resolve_loss_reasons(obj) -> list:
        return list(obj.loss_reasons.all())

    @staticmethod
    def resolve_custom_fields(obj) -> list:
        return list(obj.custom_fields.all())


@router.get("/pipelines", response=Page[PipelineOut])
def list_pipelines(request: HttpRequest, cursor: Cursor | None = None, limit: Limit = 50):
    """The pipelines the token's user may see."""
    return paginate(pipeline_list(user=request.auth), cursor=cursor, limit=limit,
                    newest_first=False)


@router.get("/pipelines/{id}", response=PipelineDetailOut)
def get_pipeline(request: HttpRequest, id: Id):
    """A pipeline with its ordered stages, their exit requirements, loss reasons and custom
    fields."""
    return pipeline_get(user=request.auth, pk=id)


@router.get("/pipelines/{id}/stages", response=list[StageOut])
def list_stages(request: HttpRequest, id: Id):
    pipeline = pipeline_get(user=request.auth, pk=id)
    return list(pipeline.stages.prefetch_related("requirements").order_by("position", "id"))


