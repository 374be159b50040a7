"""What a webhook says about an event: plain JSON snapshots taken when the event happens."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q

from voronka.core.events import Event
from voronka.deals.models import Deal
from voronka.pipelines.models import Pipeline

from .models import WebhookSubscription
from .subscriptions import EVENTS
from .webhooks import deliveries_create


def deal_snapshot(deal: Deal) -> dict[str, Any]:
    return {
        "id": deal.pk,
        "title": deal.title,
        "pipeline": {"id": deal.pipeline_id, "name": deal.pipeline.name},
        "stage": {"id": deal.stage_id, "name": deal.stage.name},
        "status": deal.status,
        "budget": str(deal.budget),
        "currency": settings.VORONKA_CURRENCY,
        "owner": {"id": deal.owner_id, "name": str(deal.owner), "email": deal.owner.email},
        "company": ({"id": deal.company_id, "name": deal.company.name}
                    if deal.company_id else None),
        "source": deal.source,
        "utm": {k: getattr(deal, k) for k in ("utm_source", "utm_medium", "utm_campaign",
                                              "utm_term", "utm_content")},
        "custom_fields": deal.custom_fields or {},
        "created_at": deal.created_at.isoformat(),
        "stage_entered_at": deal.stage_entered_at.isoformat(),
        "closed_at": deal.closed_at.isoformat() if deal.closed_at else None,
        "loss_reason": deal.loss_reason.name if deal.loss_reason_id else None,
    }


def _stage_name(stage_id: int | None) -> dict[str, Any] | None:
    from voronka.pipelines.models import Stage

    if stage_id is None:
        return None
    stage = Stage.objects.filter(pk=stage_id).only("name").first()
    return {"id": stage_id, "name": stage.name if stage else ""}


def _related(event: Event) -> dict[str, Any]:
    """The event-specific part: the task, payment or call, the stages of a move…"""
    data = event.data
    if event.name == "task.created":
        from voronka.activities.models import Task

        task = Task.objects.select_related("assignee").get(pk=data["task_id"])
        return {"task": {"id": task.pk, "kind": task.kind, "text": task.text,
                         "due_at": task.due_at.isoformat(),
                         "assignee": {"id": task.assignee_id, "email": task.assignee.email}}}
    if event.name == "payment.recorded":
        from voronka.deals.models import Payment

        payment = Payment.objects.get(pk=data["payment_id"])
        return {"payment": {"id": payment.pk, "amount": str(payment.amount),
                            "paid_on": payment.paid_on.isoformat(),
                            "reference": payment.reference}}
    if event.name == "call.missed":
        from voronka.activities.models import Call

        call = Call.objects.get(pk=data["call_id"])
        return {"call": {"id": call.pk, "phone": call.phone,
                         "started_at": call.started_at.isoformat()}}
    if "to_stage_id" in data:
        return {"transition": {"kind": data.get("kind"),
                               "from_stage": _stage_name(data.get("from_stage_id")),
                               "to_stage": _stage_name(data.get("to_stage_id"))}}
    if event.name == "deal.field_changed":
        return {"changes": data.get("changes", [])}
    return {k: v for k, v in data.items() if not k.endswith("_id")}


def listens(connection, pipeline_id: int) -> tuple[str, list]:
    """The probe of ``on_event`` (core.events): an active subscription hears this pipeline's
    events — one of every team, or one of the pipeline's team."""
    q = connection.ops.quote_name
    sub, pipeline = WebhookSubscription._meta, Pipeline._meta
    team, active = q(sub.get_field("team").column), q(sub.get_field("is_active").column)
    return (f"EXISTS (SELECT 1 FROM {q(sub.db_table)} w WHERE w.{active} = %s AND"
            f" (w.{team} IS NULL OR w.{team} = (SELECT p.{q(pipeline.get_field('team').column)}"
            f" FROM {q(pipeline.db_table)} p WHERE p.{q(pipeline.pk.column)} = %s)))",
            [True, pipeline_id])


def on_event(event: Event) -> None:
    """Queue a delivery for every active subscription that asked for this event."""
    if event.name not in EVENTS:
        return
    subs = WebhookSubscription.objects.filter(is_active=True)
    if event.pipeline_id is not None:
        subs = subs.filter(Q(team__isnull=True) | Q(team__pipelines=event.pipeline_id))
    else:
        subs = subs.filter(team__isnull=True)
    matching = [s for s in subs if event.name in (s.events or [])]
    if not matching:
        return
    payload = _related(event)
    if event.deal_id is not None:
        deal = Deal.objects.select_related("pipeline", "stage", "owner", "company",
                                           "loss_reason").get(pk=event.deal_id)
        payload["deal"] = deal_snapshot(deal)
    payload["actor_id"] = event.actor_id
    payload["occurred_at"] = event.at.isoformat()
    deliveries_create(event=event.name, payload=payload, key=f"event:{event.id}",
                      subscriptions=matching)
