"""The audit trail (who, when, old, new) of deals, contacts and companies, and the deal
timeline that merges everything that happened to a deal, newest first."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from voronka.activities.models import Task
from voronka.activities.services import call_log, note_create, task_complete, task_create
from voronka.core.errors import NotFound
from voronka.core.models import FieldChange
from voronka.crm.services import company_update, contact_update
from voronka.deals.models import Payment
from voronka.deals.selectors import deal_timeline
from voronka.deals.services import (
    deal_contact_attach,
    deal_contact_detach,
    deal_move,
    deal_update,
    payment_create,
)
from voronka.pipelines.services import custom_field_create

from .factories import make_company, make_contact, make_deal, plain_pipeline

H = datetime.timedelta(hours=1)


def changes(entity, obj):
    return {c.field: (c.old_value, c.new_value)
            for c in FieldChange.objects.filter(entity=entity, object_id=obj.pk)}


def test_deal_update_records_who_when_old_new(pipeline, manager, head):
    company = make_company(manager, name="ООО Ромашка")
    deal = make_deal(pipeline, manager, budget="100", source="site")
    start = timezone.now()
    deal_update(deal=deal, actor=manager, budget="150000.50", source="  Выставка ",
                title=deal.title, utm_source="", company=company,
                expected_close_date=datetime.date(2030, 3, 1))
    rows = FieldChange.objects.filter(entity="deal", object_id=deal.pk)
    assert {r.field: (r.old_value, r.new_value) for r in rows} == {
        "budget": ("100", "150000.50"),
        "source": ("site", "Выставка"),
        "company": ("", f"{company.pk}:ООО Ромашка"),
        "expected_close_date": ("", "2030-03-01"),
    }
    assert {r.changed_by_id for r in rows} == {manager.pk}
    assert all(start <= r.changed_at <= timezone.now() for r in rows)
    deal_update(deal=deal, actor=head, owner=head, company=None)
    assert FieldChange.objects.filter(entity="deal", object_id=deal.pk,
                                      changed_by=head).count() == 2
    assert FieldChange.objects.get(entity="deal", object_id=deal.pk, field="owner",
                                   changed_by=head).new_value == f"{head.pk}:{head}"


def test_an_update_that_changes_nothing_records_nothing(pipeline, manager):
    deal = make_deal(pipeline, manager, budget="100", source="site")
    deal_update(deal=deal, actor=manager, budget="100.00", source="site ")
    assert not FieldChange.objects.filter(entity="deal", object_id=deal.pk).exists()


def test_custom_field_changes_are_audited(team, manager):
    pipeline = plain_pipeline(team, 4)
    custom_field_create(actor=None, pipeline=pipeline, name="Монтаж", code="install",
                        kind="boolean")
    custom_field_create(actor=None, pipeline=pipeline, name="Площадь", code="area",
                        kind="number")
    deal = make_deal(pipeline, manager, custom_fields={"area": "12.5"})
    deal_update(deal=deal, actor=manager, custom_fields={"install": "нет", "area": ""})
    assert changes("deal", deal) == {"custom_fields.install": ("", "false"),
                                     "custom_fields.area": ("12.5", "")}


def test_contacts_of_a_deal_are_audited(pipeline, manager):
    deal = make_deal(pipeline, manager)
    contact = make_contact(manager, full_name="Пётр")
    deal_contact_attach(deal=deal, contact=contact, role="decision_maker", actor=manager)
    deal_contact_detach(deal=deal, contact=contact, actor=manager)
    values = list(FieldChange.objects.filter(entity="deal", object_id=deal.pk, field="contacts")
                  .order_by("id").values_list("new_value", flat=True))
    assert values == [f"+{contact.pk}:Пётр (decision_maker)", f"-{contact.pk}:Пётр"]


def test_contact_update_records_fields_phones_and_emails(manager, head):
    company = make_company(manager, name="ООО Вектор")
    contact = make_contact(manager, full_name="Анна", phones=["+7 916 123-45-67"],
                           emails=["Anna@Example.com"])
    start = timezone.now()
    contact_update(contact=contact, actor=manager, full_name="Анна Петрова",
                   position="Директор", company=company,
                   phones=["8 (916) 123-45-67", "+7 903 765-43-21"], emails=[])
    assert changes("contact", contact) == {
        "full_name": ("Анна", "Анна Петрова"),
        "position": ("", "Директор"),
        "company": ("", f"{company.pk}:ООО Вектор"),
        "phones": ("+79161234567", "+79161234567, +79037654321"),
        "emails": ("anna@example.com", ""),
    }
    rows = FieldChange.objects.filter(entity="contact", object_id=contact.pk)
    assert {r.changed_by_id for r in rows} == {manager.pk}
    assert all(start <= r.changed_at <= timezone.now() for r in rows)
    contact_update(contact=contact, actor=manager, full_name="Анна Петрова")
    assert rows.count() == 5  # nothing changed, nothing recorded


def test_company_update_records_who_when_old_new(manager, head):
    company = make_company(manager, name="ООО Старт", inn="7707083893")
    contact_count = FieldChange.objects.count()
    company_update(company=company, actor=head, name="АО Старт", inn="7707083893",
                   website="https://start.example", owner=head)
    assert changes("company", company) == {
        "name": ("ООО Старт", "АО Старт"),
        "website": ("", "https://start.example"),
        "owner": (f"{manager.pk}:{manager}", f"{head.pk}:{head}"),
    }
    assert FieldChange.objects.count() == contact_count + 3
    assert set(FieldChange.objects.filter(entity="company").values_list(
        "changed_by_id", flat=True)) == {head.pk}


def test_timeline_merges_everything_newest_first(team, manager, manager2, head):
    pipeline = plain_pipeline(team, 4)
    stages = list(pipeline.stages.order_by("position"))
    t0 = timezone.now() - 10 * 24 * H
    deal = make_deal(pipeline, manager, created_at=t0, budget="1000")
    noise = make_deal(pipeline, manager)
    note_create(actor=manager, deal=noise, text="Чужая заметка")
    deal_move(deal=deal, to_stage=stages[1], actor=manager, at=t0 + H)
    note_create(actor=manager, deal=deal, text="Клиент просит скидку", created_at=t0 + 2 * H)
    call_log(actor=manager, direction="outbound", phone="+79161234567",
             started_at=t0 + 3 * H, duration_seconds=125, deal=deal)
    task = task_create(actor=manager, deal=deal, kind="meeting", text="Договориться о встрече",
                       due_at=t0 + 30 * H)
    Task.objects.filter(pk=task.pk).update(created_at=t0 + 5 * H)  # back-date, as the demo does
    task_complete(task=task, actor=manager, result="Встретились", done_at=t0 + 6 * H)
    payment = payment_create(deal=deal, amount="500", reference="п/п 12", actor=manager)
    Payment.objects.filter(pk=payment.pk).update(created_at=t0 + 7 * H)
    deal.refresh_from_db()
    deal_update(deal=deal, actor=head, budget="1200")
    FieldChange.objects.filter(entity="deal", object_id=deal.pk).update(changed_at=t0 + 8 * H)

    timeline = deal_timeline(user=manager, deal=deal)
    assert [(e.kind, e.at) for e in timeline] == [
        ("change", t0 + 8 * H), ("payment", t0 + 7 * H), ("task_done", t0 + 6 * H),
        ("task", t0 + 5 * H), ("call", t0 + 3 * H), ("note", t0 + 2 * H),
        ("transition", t0 + H), ("transition", t0)]
    change, paid, done, created, call, note, moved, born = timeline
    assert change.user == str(head) and change.summary == {"field": "budget", "old": "1000",
                                                           "new": "1200"}
    assert paid.summary["amount"] == Decimal("500") and paid.summary["reference"] == "п/п 12"
    assert done.summary["result"] == "Встретились" and created.summary["kind"] == "meeting"
    assert call.summary["duration_seconds"] == 125 and call.summary["stage"] == stages[1].name
    assert note.summary == {"text": "Клиент просит скидку"} and note.user == str(manager)
    assert moved.summary["kind"] == "advance" and moved.summary["seconds_in_stage"] == 3600
    assert born.summary["kind"] == "created"
    assert [e.kind for e in deal_timeline(user=head, deal=deal)] == [e.kind for e in timeline]
    with pytest.raises(NotFound):
        deal_timeline(user=manager2, deal=deal)
