"""Test data builders. They go through the services wherever a rule applies."""

from __future__ import annotations

import datetime
import itertools
from decimal import ROUND_CEILING, Decimal

import factory
from django.utils import timezone

from voronka.accounts.models import Role, Team, User
from voronka.activities.services import task_complete, task_create
from voronka.deals.services import deal_create
from voronka.pipelines.services import pipeline_create

_seq = itertools.count(1)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Sequence(lambda n: f"User {n}")
    role = Role.MANAGER
    team = factory.SubFactory(TeamFactory)
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "pass12345")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


def make_pipeline(team: Team, *, name: str | None = None, stages=None, reasons=None):
    """Dubrovin's five-stage B2B funnel (seed 003) with real exit requirements by default."""
    stages = stages if stages is not None else [
        {"name": "Договариваюсь о первой встрече", "goal": "Встреча проведена",
         "requirements": [{"kind": "field_filled", "field_name": "budget"},
                          {"kind": "task_completed", "task_kind": "meeting"}]},
        {"name": "Согласовываю ТЗ", "goal": "ТЗ согласовано",
         "requirements": [{"kind": "fact_confirmed", "fact_name": "ТЗ согласовано"}]},
        {"name": "Подписываю договор", "goal": "Договор подписан",
         "requirements": [{"kind": "contact_attached"}, {"kind": "company_attached"}]},
        {"name": "Получаю оплату", "goal": "Оплата получена",
         "requirements": [{"kind": "payment_received", "payment_share": "1"}]},
        {"name": "Передаю в работу", "goal": "Производство приняло заказ",
         "requirements": [{"kind": "fact_confirmed", "fact_name": "Заказ принят в работу"}]},
    ]
    reasons = ["Дорого", "Выбрали другого"] if reasons is None else reasons
    return pipeline_create(actor=None, team=team, name=name or f"Pipeline {next(_seq)}",
                           stages=stages, loss_reasons=reasons)


def make_deal(pipeline, owner, **kw):
    kw.setdefault("title", f"Deal {next(_seq)}")
    return deal_create(actor=owner, pipeline=pipeline, owner=owner, **kw)


def done_task(deal, user, kind="meeting"):
    task = task_create(actor=user, deal=deal, kind=kind, text="Договориться о встрече",
                       due_at=timezone.now() + datetime.timedelta(days=1))
    return task_complete(task=task, actor=user, result="done")


def make_company(actor, **kw):
    from voronka.crm.services import company_create

    kw.setdefault("name", f"ООО Компания {next(_seq)}")
    return company_create(actor=actor, **kw)


def make_contact(actor, **kw):
    from voronka.crm.services import contact_create

    kw.setdefault("full_name", f"Контакт {next(_seq)}")
    return contact_create(actor=actor, **kw)


def plain_pipeline(team, n: int = 5, *, name: str | None = None, reasons=None):
    """A funnel of ``n`` stages with no exit requirements, for tests of the move mechanics."""
    stages = [{"name": f"Этап {i + 1}", "goal": f"Цель {i + 1}"} for i in range(n)]
    return make_pipeline(team, name=name, stages=stages, reasons=reasons)


_SAMPLE_CUSTOM = {"text": "ok", "number": "1", "money": "1.00", "date": "2024-05-01",
                  "boolean": False}


def meet(deal, actor, stages):
    """Make every exit requirement of ``stages`` hold for ``deal``, through the services."""
    from voronka.crm.models import ContactRole
    from voronka.deals.services import (
        deal_contact_attach,
        deal_fact_confirm,
        deal_update,
        payment_create,
    )
    from voronka.pipelines.models import StageRequirement

    kind = StageRequirement.Kind
    reqs = (StageRequirement.objects.filter(stage__in=[s.pk for s in stages])
            .select_related("custom_field", "stage").order_by("stage__position", "position"))
    for req in reqs:
        deal.refresh_from_db()
        if req.kind == kind.FIELD_FILLED and req.custom_field_id:
            field = req.custom_field
            value = field.choices[0] if field.kind == "choice" else _SAMPLE_CUSTOM[field.kind]
            deal_update(deal=deal, actor=actor, custom_fields={field.code: value})
        elif req.kind == kind.FIELD_FILLED:
            if req.field_name == "company":
                value = make_company(actor)
            else:
                value = {"budget": "100000", "expected_close_date":
                         datetime.date(2030, 1, 1)}.get(req.field_name, "site")
            deal_update(deal=deal, actor=actor, **{req.field_name: value})
        elif req.kind == kind.CONTACT_ATTACHED:
            deal_contact_attach(deal=deal, contact=make_contact(actor),
                                role=ContactRole.DECISION_MAKER, actor=actor)
        elif req.kind == kind.COMPANY_ATTACHED and deal.company_id is None:
            deal_update(deal=deal, actor=actor, company=make_company(actor))
        elif req.kind == kind.TASK_COMPLETED:
            done_task(deal, actor, kind=req.task_kind)
        elif req.kind == kind.PAYMENT_RECEIVED:
            if not deal.budget:
                deal_update(deal=deal, actor=actor, budget="100000")
                deal.refresh_from_db()
            paid = sum((p.amount for p in deal.payments.all()), Decimal("0"))
            due = (deal.budget * req.payment_share).quantize(Decimal("0.01"), ROUND_CEILING) - paid
            if due > 0:
                payment_create(deal=deal, amount=due, actor=actor)
        elif req.kind == kind.FACT_CONFIRMED:
            deal_fact_confirm(deal=deal, requirement=req, actor=actor)
    deal.refresh_from_db()
    return deal
