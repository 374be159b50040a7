"""Stage changes and exit facts. The same move services as every other door: a refusal
answers 409 (the method forbids it) or 422 with the structured list of missing facts."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from voronka.api.errors import ErrorOut
from voronka.api.schemas import DealContactOut, DealOut, TransitionOut
from voronka.api.types import Id, ShortText, Text
from voronka.core.errors import ValidationError
from voronka.crm.selectors import contact_get
from voronka.deals import services
from voronka.deals.selectors import deal_exit_checklist, deal_get
from voronka.pipelines.models import LossReason, Stage, StageRequirement

from .deals import Role, resolve

router = Router(tags=["deal stages"])

Version = Field(None, ge=1, le=2**31 - 1,
                description="The version you read; a newer one on the server answers 409.")
REFUSALS = {404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class MoveIn(Schema):
    to_stage_id: Id
    expected_version: int | None = Version
    comment: Text = ""


class CloseIn(Schema):
    expected_version: int | None = Version
    comment: Text = ""


class ArchiveIn(CloseIn):
    reason_id: Id


class CorrectIn(Schema):
    to_stage_id: Id
    reason: Text
    expected_version: int | None = Version


class StageChangeOut(Schema):
    deal: DealOut
    transition: TransitionOut


class ChecklistItemOut(Schema):
    stage_id: int
    requirement_id: int
    kind: str
    label: str
    done: bool


class FactIn(Schema):
    requirement_id: Id
    comment: ShortText = ""


class FactOut(Schema):
    id: int
    deal_id: int
    requirement_id: int
    confirmed_by_id: int
    confirmed_at: datetime.datetime
    comment: str


class AttachIn(Schema):
    contact_id: Id
    role: Role = "other"


def _stage(deal, stage_id: int) -> Stage:
    stage = Stage.objects.filter(pk=stage_id, pipeline_id=deal.pipeline_id).first()
    if stage is None:
        raise ValidationError({"to_stage_id": _("The stage is not in the deal's pipeline.")})
    return stage


def _changed(request: HttpRequest, deal, transition) -> dict:
    return {"deal": deal_get(user=request.auth, pk=deal.pk), "transition": transition}


@router.post("/deals/{id}/move", response={200: StageChangeOut, **REFUSALS})
def move_deal(request: HttpRequest, id: Id, payload: MoveIn):
    """Move forward (a skip needs every skipped stage's facts). Backward answers 409."""
    deal = deal_get(user=request.auth, pk=id)
    tr = services.deal_move(deal=deal, to_stage=_stage(deal, payload.to_stage_id),
                            actor=request.auth, expected_version=payload.expected_version,
                            comment=payload.comment)
    return _changed(request, deal, tr)


@router.post("/deals/{id}/win", response={200: StageChangeOut, **REFUSALS})
def win_deal(request: HttpRequest, id: Id, payload: CloseIn):
    """Close as won: the facts of the current stage through the last must hold."""
    deal = deal_get(user=request.auth, pk=id)
    tr = services.deal_win(deal=deal, actor=request.auth,
                           expected_version=payload.expected_version, comment=payload.comment)
    return _changed(request, deal, tr)


@router.post("/deals/{id}/archive", response={200: StageChangeOut, **REFUSALS})
def archive_deal(request: HttpRequest, id: Id, payload: ArchiveIn):
    """Close as lost with a reason of the deal's pipeline."""
    deal = deal_get(user=request.auth, pk=id)
    reason = LossReason.objects.filter(pk=payload.reason_id, pipeline_id=deal.pipeline_id,
                                       is_active=True).first()
    if reason is None:
        raise ValidationError({"reason_id": _("This reason does not belong to the deal's "
                                              "pipeline.")})
    tr = services.deal_archive(deal=deal, actor=request.auth, reason=reason,
                               comment=payload.comment,
                               expected_version=payload.expected_version)
    return _changed(request, deal, tr)


@router.post("/deals/{id}/reopen", response={200: StageChangeOut, **REFUSALS})
def reopen_deal(request: HttpRequest, id: Id, payload: CloseIn):
    """Return a closed deal to the stage it left."""
    deal = deal_get(user=request.auth, pk=id)
    tr = services.deal_reopen(deal=deal, actor=request.auth, comment=payload.comment,
                              expected_version=payload.expected_version)
    return _changed(request, deal, tr)


@router.post("/deals/{id}/correct", response={200: StageChangeOut, 403: ErrorOut, **REFUSALS})
def correct_deal(request: HttpRequest, id: Id, payload: CorrectIn):
    """An administrator's audited backward correction, with a reason."""
    deal = deal_get(user=request.auth, pk=id)
    tr = services.deal_correct(deal=deal, to_stage=_stage(deal, payload.to_stage_id),
                               actor=request.auth, reason=payload.reason,
                               expected_version=payload.expected_version)
    return _changed(request, deal, tr)


@router.get("/deals/{id}/checklist", response=list[ChecklistItemOut])
def deal_checklist(request: HttpRequest, id: Id):
    """The current stage's exit requirements, done or not."""
    return deal_exit_checklist(deal=deal_get(user=request.auth, pk=id))


@router.post("/deals/{id}/facts", response={201: FactOut})
def confirm_fact(request: HttpRequest, id: Id, payload: FactIn):
    """Vouch for a named fact (a "fact confirmed" requirement); who and when are recorded."""
    deal = deal_get(user=request.auth, pk=id)
    requirement = StageRequirement.objects.filter(
        pk=payload.requirement_id, stage__pipeline_id=deal.pipeline_id).select_related(
        "stage").first()
    if requirement is None:
        raise ValidationError({"requirement_id": _("This is not a fact of the deal's "
                                                   "pipeline.")})
    return Status(201, services.deal_fact_confirm(deal=deal, requirement=requirement,
                                                  actor=request.auth, comment=payload.comment))


@router.post("/deals/{id}/contacts", response={201: DealContactOut})
def attach_contact(request: HttpRequest, id: Id, payload: AttachIn):
    deal = deal_get(user=request.auth, pk=id)
    contact = resolve("contact_id", contact_get, user=request.auth, pk=payload.contact_id)
    return Status(201, services.deal_contact_attach(deal=deal, contact=contact,
                                                    role=payload.role, actor=request.auth))


@router.delete("/deals/{id}/contacts/{contact_id}", response={204: None})
def detach_contact(request: HttpRequest, id: Id, contact_id: Id):
    deal = deal_get(user=request.auth, pk=id)
    contact = contact_get(user=request.auth, pk=contact_id)
    services.deal_contact_detach(deal=deal, contact=contact, actor=request.auth)
    return Status(204, None)
