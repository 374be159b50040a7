"""Seed 002 as an acceptance test: the web studio's 11-stage funnel, automated through the
services so that nobody "forgets", driven from a new request to the full payment."""

import datetime

import pytest
from django.utils import timezone

from voronka.activities.models import Task
from voronka.activities.services import task_complete, task_create
from voronka.automation.models import RuleRun
from voronka.automation.services import rule_create
from voronka.crm.services import company_create, contact_create
from voronka.deals.models import Deal, Transition
from voronka.deals.selectors import deal_timeline
from voronka.deals.services import (
    deal_create,
    deal_fact_confirm,
    deal_move,
    deal_update,
    payment_create,
)
from voronka.integrations.emails import email_template_create
from voronka.notifications.models import Notification
from voronka.notifications.selectors import notification_unread_count
from voronka.pipelines.services import custom_field_create, pipeline_create

from ..factories import UserFactory


def fact(name):
    return {"kind": "fact_confirmed", "fact_name": name}


STAGES = [
    {"name": "Входящая заявка", "time_limit_hours": 2,
     "requirements": [{"kind": "contact_attached"}]},
    {"name": "Классификация", "requirements": [{"kind": "field_filled", "field_name": "budget"}]},
    {"name": "Назначение встречи",
     "requirements": [{"kind": "task_completed", "task_kind": "call"}]},
    {"name": "Встреча", "requirements": [{"kind": "task_completed", "task_kind": "meeting"},
                                        {"kind": "company_attached"}]},
    {"name": "Отправка КП", "requirements": [{"kind": "task_completed", "task_kind": "document"}]},
    {"name": "Согласование", "requirements": [fact("Договор подписан")]},
    {"name": "Выставление счета", "requirements": [{"kind": "contact_attached"}]},
    {"name": "Предоплата", "requirements": [{"kind": "payment_received", "payment_share": "0.5"}]},
    {"name": "В работе", "requirements": [fact("Работа выполнена")]},
    {"name": "Прием", "requirements": [fact("Акт подписан")]},
    {"name": "Полная оплата", "requirements": [{"kind": "payment_received", "payment_share": "1"}]},
]


@pytest.fixture
def studio(team, head, manager, mail, jobs):
    """The funnel, its e-mail templates and its automation, all set up by the head of sales."""
    production = UserFactory(team=team, role="manager", email="prod@studio.example",
                             full_name="Производство")
    pipeline = pipeline_create(actor=head, team=team, name="Веб-студия", stages=STAGES,
                               loss_reasons=["Дорого"])
    work_type = custom_field_create(actor=head, pipeline=pipeline, name="Тип работ",
                                    code="work_type", kind="choice",
                                    choices=["Дизайн интернет-магазина", "Лендинг"])
    # Classification needs the type of work too (seed 002: "сумма и тип заказа").
    from voronka.pipelines.services import requirement_create

    st = {s.name: s for s in pipeline.stages.all()}
    requirement_create(actor=head, stage=st["Классификация"], kind="field_filled",
                       custom_field=work_type)
    invoice = email_template_create(
        actor=head, team=team, name="Счёт", subject="Счёт: {{ deal.title }}",
        body="{{ contact.name }}, счёт на {{ deal.budget }} во вложении.")
    final = email_template_create(
        actor=head, team=team, name="Закрывающий счёт", subject="Работа сдана: {{ deal.title }}",
        body="{{ contact.name }}, проект принят, счёт на остаток — во вложении.")
    thanks = email_template_create(
        actor=head, team=team, name="Спасибо", subject="Спасибо за проект «{{ deal.title }}»",
        body="{{ contact.name }}, оцените, пожалуйста, нашу работу от 0 до 10 — ответьте "
             "на это письмо одной цифрой.")

    def rule(name, trigger, actions, **kw):
        return rule_create(actor=head, pipeline=pipeline, name=name, trigger=trigger,
                           actions=actions, **kw)

    on = {"field": "stage", "op": "eq"}
    rule("Новая заявка → классифицировать", "deal_created", [
        {"type": "create_task", "text": "Классифицировать заявку «{{ deal.title }}»",
         "kind": "other", "due_minutes": 60}])
    rule("Заявка не разобрана", "time_in_stage", [
        {"type": "notify", "to": "heads", "text": "Заявка «{{ deal.title }}» ждёт 2 часа"}],
        stage=st["Входящая заявка"].pk)
    rule("Поля заполнены → назначить встречу", "field_changed", [
        {"type": "move_next"},
        {"type": "create_task", "text": "Договориться о встрече с {{ contact.name }}",
         "kind": "call", "due_minutes": 24 * 60}],
        conditions=[{**on, "value": st["Классификация"].pk},
                    {"field": "budget", "op": "not_empty"},
                    {"field": "custom_fields.work_type", "op": "not_empty"}])
    rule("КП → проверить и побеспокоить", "stage_entered", [
        {"type": "notify", "text": "Проверьте КП по «{{ deal.title }}» перед отправкой"},
        {"type": "create_task", "text": "Побеспокоить клиента: что решили по КП?",
         "kind": "follow_up", "due_minutes": 3 * 24 * 60}], stage=st["Отправка КП"].pk)
    rule("Счёт → клиенту, ждём оплату", "stage_entered", [
        {"type": "send_email", "template_id": invoice.pk, "to": "contact"},
        {"type": "move_next"}], stage=st["Выставление счета"].pk)
    rule("Предоплата пришла → в работу", "payment_recorded", [
        {"type": "move_next"},
        {"type": "notify", "to": "user", "user_id": production.pk,
         "text": "Пора начинать работу: «{{ deal.title }}»"}],
        conditions=[{**on, "value": st["Предоплата"].pk}])
    rule("Приём → закрывающий счёт", "stage_entered", [
        {"type": "send_email", "template_id": final.pk, "to": "contact"}],
        stage=st["Прием"].pk)
    rule("Полная оплата → завершить", "payment_recorded", [{"type": "move_next"}],
         conditions=[{**on, "value": st["Полная оплата"].pk}])
    rule("Выиграна → спасибо и оценка", "deal_won", [
        {"type": "send_email", "template_id": thanks.pk, "to": "contact"},
        {"type": "notify", "to": "heads", "text": "Проект «{{ deal.title }}» завершён"},
        {"type": "notify", "to": "user", "user_id": production.pk,
         "text": "Спасибо за проект «{{ deal.title }}»!"}])
    jobs()
    return pipeline, st, production


def test_seed_002_funnel_runs_itself(studio, head, manager, mail, jobs):
    pipeline, st, production = studio
    contact = contact_create(actor=manager, full_name="Ирина Соколова",
                             emails=["irina@shop.example"])
    # 1. New request → a "classify" task with a deadline.
    deal = deal_create(actor=manager, pipeline=pipeline, title="Дизайн магазина обуви",
                       contacts=[(contact, "decision_maker")])
    jobs()
    classify = Task.objects.get(deal=deal)
    assert classify.text == "Классифицировать заявку «Дизайн магазина обуви»"
    due_in = (classify.due_at - timezone.now()).total_seconds()
    assert 55 * 60 < due_in <= 60 * 60 and classify.assignee == manager
    task_complete(task=classify, actor=manager, result="Дизайн, средний чек 130 тыс.")
    deal_move(deal=deal, to_stage=st["Классификация"], actor=manager)

    # 2. Fields filled → moved on and a "book a meeting" task. One field is not enough.
    deal_update(deal=deal, actor=manager, budget="130000")
    jobs()
    assert Deal.objects.get(pk=deal.pk).stage_id == st["Классификация"].pk
    deal_update(deal=deal, actor=manager, custom_fields={"work_type": "Дизайн интернет-магазина"})
    jobs()
    deal.refresh_from_db()
    assert deal.stage_id == st["Назначение встречи"].pk
    book = Task.objects.get(deal=deal, kind="call")
    assert book.text == "Договориться о встрече с Ирина Соколова"

    # 3–4. The manager books and holds the meeting (facts only a person can supply).
    task_complete(task=book, actor=manager, result="Встреча во вторник в 11:00")
    deal_move(deal=deal, to_stage=st["Встреча"], actor=manager)
    meeting = task_create(
        actor=manager, deal=deal, kind="meeting", text="Встреча у клиента",
        due_at=timezone.now() + datetime.timedelta(days=1))
    task_complete(task=meeting, actor=manager, result="Нужен каталог и корзина")
    deal_update(deal=deal, actor=manager,
                company=company_create(actor=manager, name="ООО Обувь"))
    jobs()
    deal.refresh_from_db()
    deal_move(deal=deal, to_stage=st["Отправка КП"], actor=manager)

    # 5. Proposal stage → the owner is asked to check it, and a follow-up task is set.
    jobs()
    assert Notification.objects.filter(
        user=manager, text="Проверьте КП по «Дизайн магазина обуви» перед отправкой").exists()
    follow_up = Task.objects.get(deal=deal, kind="follow_up")
    assert 2.9 < (follow_up.due_at - timezone.now()).total_seconds() / 86400 <= 3
    send_kp = task_create(
        actor=manager, deal=deal, kind="document", text="Отправить КП",
        due_at=timezone.now())
    task_complete(task=send_kp, actor=manager)
    deal.refresh_from_db()
    deal_move(deal=deal, to_stage=st["Согласование"], actor=manager)
    deal_fact_confirm(deal=deal, requirement=st["Согласование"].requirements.get(),
                      actor=manager)

    # 6–7. Agreed → invoice stage: the invoice goes to the client, the deal waits for money.
    deal_move(deal=deal, to_stage=st["Выставление счета"], actor=manager)
    jobs()
    deal.refresh_from_db()
    assert deal.stage_id == st["Предоплата"].pk
    assert [m.subject for m in mail.outbox] == ["Счёт: Дизайн магазина обуви"]
    assert mail.outbox[0].to == ["irina@shop.example"]

    # 8. A part of the prepayment does not open the gate; the rest does → production told.
    payment_create(deal=deal, amount="26000", actor=manager)
    jobs()
    assert Deal.objects.get(pk=deal.pk).stage_id == st["Предоплата"].pk
    assert not Notification.objects.filter(user=production).exists()
    refused = RuleRun.objects.get(rule__name="Предоплата пришла → в работу", status="refused")
    assert "50%" in refused.action_lines()[0]["detail"]
    payment_create(deal=deal, amount="39000", actor=manager)
    jobs()
    deal.refresh_from_db()
    assert deal.stage_id == st["В работе"].pk
    assert Notification.objects.get(user=production).text == \
        "Пора начинать работу: «Дизайн магазина обуви»"

    # 9–10. Done → acceptance: the closing invoice goes out.
    deal_fact_confirm(deal=deal, requirement=st["В работе"].requirements.get(), actor=manager)
    deal_move(deal=deal, to_stage=st["Прием"], actor=manager)
    jobs()
    assert mail.outbox[-1].subject == "Работа сдана: Дизайн магазина обуви"
    deal_fact_confirm(deal=deal, requirement=st["Прием"].requirements.get(), actor=manager)
    deal.refresh_from_db()
    deal_move(deal=deal, to_stage=st["Полная оплата"], actor=manager)

    # 11. Full payment → won, a thank-you e-mail asking for a rating, thanks to the team.
    payment_create(deal=deal, amount="65000", actor=manager)
    jobs()
    deal.refresh_from_db()
    assert deal.status == "won"
    thanks = mail.outbox[-1]
    assert thanks.subject == "Спасибо за проект «Дизайн магазина обуви»"
    assert "от 0 до 10" in thanks.body and thanks.to == ["irina@shop.example"]
    assert Notification.objects.filter(user=head, text__contains="завершён").exists()
    assert notification_unread_count(user=production) == 2

    # Every automated move is in the fact table as the system's, and on the timeline.
    by_robot = Transition.objects.filter(deal=deal, by__isnull=True).values_list("kind",
                                                                                flat=True)
    assert sorted(by_robot) == ["advance", "advance", "advance", "won"]
    timeline = deal_timeline(user=manager, deal=deal)
    assert sum(e.kind == "email" for e in timeline) == 3
    statuses = {e.summary["rule"]: e.summary["status"] for e in timeline
                if e.kind == "automation" and e.summary["status"] != "refused"}
    assert statuses["Выиграна → спасибо и оценка"] == "success"
    assert not RuleRun.objects.filter(status__in=("failed", "loop", "running")).exists()


def test_seed_002_unclassified_request_alerts_the_head(studio, head, manager, jobs):
    pipeline, st, _production = studio
    deal_create(actor=manager, pipeline=pipeline, title="Лендинг для кафе",
                created_at=timezone.now() - datetime.timedelta(hours=3))
    deal_create(actor=manager, pipeline=pipeline, title="Свежая заявка")
    jobs()
    assert list(Notification.objects.filter(user=head).values_list("text", flat=True)) == [
        "Заявка «Лендинг для кафе» ждёт 2 часа"]
