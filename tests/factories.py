"""Test data builders. They go through the services wherever a rule applies."""

from __future__ import annotations

import datetime
import itertools

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
    return pipeline_create(actor=None, team=team, name=name or f"Pipeline {next(_seq)}",
                           stages=stages, loss_reasons=reasons or ["Дорого", "Выбрали другого"])


def make_deal(pipeline, owner, **kw):
    kw.setdefault("title", f"Deal {next(_seq)}")
    return deal_create(actor=owner, pipeline=pipeline, owner=owner, **kw)


def done_task(deal, user, kind="meeting"):
    task = task_create(actor=user, deal=deal, kind=kind, text="Договориться о встрече",
                       due_at=timezone.now() + datetime.timedelta(days=1))
    return task_complete(task=task, actor=user, result="done")
