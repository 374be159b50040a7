"""Contacts, companies, activities, deals and payments: bad input through every service gets a
ValidationError naming the field, and nothing is written."""

from __future__ import annotations

import datetime
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.utils import timezone

from voronka.activities.models import Call, Note, Task
from voronka.activities.services import call_log, note_create, task_complete, task_create
from voronka.core.errors import PermissionDenied, ValidationError
from voronka.core.models import FieldChange
from voronka.crm.models import Company, Contact, ContactEmail, ContactPhone
from voronka.crm.services import company_create, company_update, contact_create, contact_update
from voronka.deals.models import Deal, DealContact, Payment, Transition
from voronka.deals.services import deal_contact_attach, deal_create, deal_update, payment_create

from .factories import make_company, make_contact, make_deal

SOON = timezone.now() + datetime.timedelta(days=1)
TABLES = (Company, Contact, ContactPhone, ContactEmail, Deal, DealContact, Transition, Payment,
          Task, Note, Call, FieldChange)


@contextmanager
def refused(*fields):
    """Expect a ValidationError naming exactly ``fields``, with no row written anywhere."""
    before = {t: t.objects.count() for t in TABLES}
    with pytest.raises(ValidationError) as exc:
        yield exc
    assert set(exc.value.errors) == set(fields), exc.value.errors
    assert all(msgs and all(msgs) for msgs in exc.value.errors.values())
    assert {t: t.objects.count() for t in TABLES} == before


# --- contacts and companies -----------------------------------------------------------------

def test_contact_phones_are_e164_and_emails_lower_case(manager):
    contact = contact_create(actor=manager, full_name="  Иван Петров ",
                             phones=["8 (916) 123-45-67", "+7 916 123 45 67", "9031234567"],
                             emails=[" Ivan@Example.COM ", "ivan@example.com"])
    assert contact.full_name == "Иван Петров" and contact.owner == manager
    assert sorted(contact.phones.values_list("number", flat=True)) == [
        "+79031234567", "+79161234567"]
    assert list(contact.emails.values_list("email", flat=True)) == ["ivan@example.com"]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"phones": ["+79161234567", "12"]}, "phones.1"),
    ({"phones": ["позвоните мне"]}, "phones.0"),
    ({"phones": [""]}, "phones.0"),
    ({"phones": ["+7 999 000"]}, "phones.0"),
    ({"emails": ["ivan@"]}, "emails.0"),
    ({"emails": ["ok@example.com", "two@@example.com"]}, "emails.1"),
    ({"full_name": "   "}, "full_name"),
    ({"full_name": "я" * 301}, "full_name"),
])
def test_bad_contact_input_is_refused_and_writes_nothing(manager, kwargs, field):
    kwargs.setdefault("full_name", "Иван")
    with refused(field):
        contact_create(actor=manager, **kwargs)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"inn": "123"}, "inn"),
    ({"inn": "77070838930"}, "inn"),  # 11 digits
    ({"inn": "77070838a3"}, "inn"),
    ({"name": ""}, "name"),
])
def test_bad_company_input_is_refused_and_writes_nothing(manager, kwargs, field):
    kwargs.setdefault("name", "ООО Ромашка")
    with refused(field):
        company_create(actor=manager, **kwargs)


def test_contact_update_with_a_bad_phone_changes_nothing(manager):
    contact = make_contact(manager, full_name="Анна", phones=["+79161234567"])
    with refused("phones.1"):
        contact_update(contact=contact, actor=manager, full_name="Анна Сергеевна",
                       phones=["+79031234567", "000"])
    contact.refresh_from_db()
    assert contact.full_name == "Анна"
    assert list(contact.phones.values_list("number", flat=True)) == ["+79161234567"]
    with refused("emails.0"):
        contact_update(contact=contact, actor=manager, emails=["anna at example"])
    with refused("stage"):
        contact_update(contact=contact, actor=manager, stage="x")


def test_company_update_with_bad_input_changes_nothing(manager):
    company = make_company(manager, name="ООО Старт")
    for kwargs, field in (({"inn": "12"}, "inn"), ({"name": " "}, "name"),
                          ({"budget": "1"}, "budget")):
        with refused(field):
            company_update(company=company, actor=manager, **kwargs)
    company.refresh_from_db()
    assert (company.name, company.inn) == ("ООО Старт", "")


def test_marketer_changes_no_contact_or_company(manager, marketer):
    contact, company = make_contact(manager), make_company(manager)
    for attempt in (
        lambda: contact_create(actor=marketer, full_name="Пётр"),
        lambda: company_create(actor=marketer, name="ООО Пётр"),
        lambda: contact_update(contact=contact, actor=marketer, full_name="Пётр"),
        lambda: company_update(company=company, actor=marketer, name="ООО Пётр"),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert not FieldChange.objects.exists()


def test_a_manager_cannot_change_another_managers_contact_or_company(pipeline, manager,
                                                                    manager2, head, admin):
    contact, company = make_contact(manager2), make_company(manager2)
    with pytest.raises(PermissionDenied):
        contact_update(contact=contact, actor=manager, full_name="Чужой")
    with pytest.raises(PermissionDenied):
        company_update(company=company, actor=manager, name="Чужая")
    contact.refresh_from_db()
    company.refresh_from_db()
    assert contact.full_name != "Чужой" and company.name != "Чужая"
    assert not FieldChange.objects.exists()
    # A manager cannot link a contact they cannot see; the head (who sees the team's clients)
    # can, and then the contact on a deal of mine is mine to keep up to date.
    deal = make_deal(pipeline, manager)
    with pytest.raises(ValidationError):
        deal_contact_attach(deal=deal, contact=contact, role="user", actor=manager)
    deal_contact_attach(deal=deal, contact=contact, role="user", actor=head)
    contact_update(contact=contact, actor=manager, position="Закупщик")
    contact_update(contact=contact, actor=head, position="Главный закупщик")
    company_update(company=company, actor=head, website="https://example.ru")
    company_update(company=company, actor=admin, address="Москва")


# --- activities -----------------------------------------------------------------------------

def test_bad_task_input(pipeline, manager, marketer):
    deal = make_deal(pipeline, manager)
    cases = [
        ({"text": "  "}, "text"),
        ({"kind": "dance"}, "kind"),
        ({"due_at": "завтра"}, "due_at"),
        ({"due_at": datetime.date(2030, 1, 1)}, "due_at"),
        ({"assignee": marketer}, "assignee"),
        ({"deal": None}, "deal"),
    ]
    for kwargs, field in cases:
        args = {"actor": manager, "deal": deal, "text": "Договориться о встрече",
                "due_at": SOON, **kwargs}
        with refused(field):
            task_create(**args)


def test_bad_call_input_names_every_field(pipeline, manager):
    deal = make_deal(pipeline, manager)
    with refused("direction", "phone", "duration_seconds", "recording_url"):
        call_log(actor=manager, direction="sideways", phone="123", started_at=SOON,
                 duration_seconds=-5, recording_url="ftp://calls/1.mp3", deal=deal)
    with refused("started_at"):
        call_log(actor=manager, direction="inbound", phone="+79161234567",
                 started_at="вчера", deal=deal)
    with refused("duration_seconds"):
        call_log(actor=manager, direction="inbound", phone="+79161234567",
                 started_at=SOON, duration_seconds=12.5, deal=deal)
    call = call_log(actor=manager, direction="inbound", phone="8 916 123-45-67",
                    started_at=SOON, duration_seconds=61, deal=deal)
    assert (call.phone, call.stage_id, call.duration_seconds) == ("+79161234567",
                                                                 deal.stage_id, 61)


def test_bad_note_input(pipeline, manager, manager2):
    deal = make_deal(pipeline, manager)
    with refused("text"):
        note_create(actor=manager, deal=deal, text=" ")
    with refused("deal"):
        note_create(actor=manager, text="Без сделки")
    with pytest.raises(PermissionDenied):
        note_create(actor=manager2, deal=deal, text="Чужая сделка")


def test_marketer_and_outsiders_add_no_activity(pipeline, manager, manager2, marketer, head):
    deal = make_deal(pipeline, manager)
    task = task_create(actor=manager, deal=deal, kind="meeting", text="Договориться о встрече",
                       due_at=SOON)
    before = {t: t.objects.count() for t in TABLES}
    for actor in (marketer, manager2):
        for attempt in (
            lambda a: task_create(actor=a, deal=deal, text="Договориться", due_at=SOON),
            lambda a: note_create(actor=a, deal=deal, text="Заметка"),
            lambda a: call_log(actor=a, direction="outbound", phone="+79161234567",
                               started_at=SOON, deal=deal),
            lambda a: task_complete(task=task, actor=a, result="Встретились"),
        ):
            with pytest.raises(PermissionDenied):
                attempt(actor)
    assert {t: t.objects.count() for t in TABLES} == before
    task.refresh_from_db()
    assert not task.is_done
    task_complete(task=task, actor=head, result="Встретились")  # the head may
    task.refresh_from_db()
    assert task.is_done and task.result == "Встретились"


# --- deals and payments ---------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "field"), [
    ({"title": "  "}, "title"),
    ({"title": "я" * 301}, "title"),
    ({"budget": "сто тысяч"}, "budget"),
    ({"budget": "-1"}, "budget"),
    ({"budget": "1e13"}, "budget"),
    ({"budget": "Infinity"}, "budget"),
    ({"budget": True}, "budget"),
    ({"utm": {"utm_sourse": "yandex"}}, "utm_sourse"),
    ({"expected_close_date": "31.12.2024"}, "expected_close_date"),
    ({"expected_close_date": datetime.datetime(2030, 1, 1, 12, 0)}, "expected_close_date"),
    ({"custom_fields": {"nope": "1"}}, "custom_fields.nope"),
])
def test_bad_deal_input_creates_nothing(pipeline, manager, kwargs, field):
    kwargs.setdefault("title", "Окна в офис")
    with refused(field):
        deal_create(actor=manager, pipeline=pipeline, **kwargs)


def test_bad_contact_role_creates_no_deal(pipeline, manager):
    contact = make_contact(manager)
    with refused("role"):
        deal_create(actor=manager, pipeline=pipeline, title="Окна",
                    contacts=[(contact, "boss")])


def test_deal_money_is_decimal_with_kopecks(pipeline, manager):
    deal = make_deal(pipeline, manager, budget="1 250 000,5")
    assert deal.budget == Decimal("1250000.50")
    deal_update(deal=deal, actor=manager, budget=0.1)
    deal.refresh_from_db()
    assert deal.budget == Decimal("0.10")
    deal_update(deal=deal, actor=manager, expected_close_date="2030-06-01")
    deal.refresh_from_db()
    assert deal.expected_close_date == datetime.date(2030, 6, 1)


@pytest.mark.parametrize(("changes", "field"), [
    ({"budget": "-100"}, "budget"),
    ({"budget": None}, "budget"),
    ({"title": ""}, "title"),
    ({"expected_close_date": "завтра"}, "expected_close_date"),
    ({"expected_close_date": 20300101}, "expected_close_date"),
    ({"stage": 3}, "stage"),
    ({"status": "won"}, "status"),
    ({"version": 99}, "version"),
])
def test_bad_deal_update_changes_nothing(pipeline, manager, changes, field):
    deal = make_deal(pipeline, manager, budget="100")
    with refused(field):
        deal_update(deal=deal, actor=manager, source="Выставка", **changes)
    deal.refresh_from_db()
    assert (deal.budget, deal.source, deal.version) == (Decimal("100"), "", 1)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"amount": "0"}, "amount"),
    ({"amount": "-500"}, "amount"),
    ({"amount": "пятьсот"}, "amount"),
    ({"amount": None}, "amount"),
    ({"amount": "NaN"}, "amount"),
    ({"amount": "1e30"}, "amount"),
    ({"amount": "100", "paid_on": "2024-01-15"}, "paid_on"),
])
def test_bad_payment_is_refused(pipeline, manager, kwargs, field):
    deal = make_deal(pipeline, manager, budget="1000")
    with refused(field):
        payment_create(deal=deal, actor=manager, **kwargs)


def test_payment_is_stored_exactly(pipeline, manager):
    deal = make_deal(pipeline, manager, budget="1000")
    payment = payment_create(deal=deal, actor=manager, amount="333.33",
                             paid_on=datetime.date(2024, 1, 15), reference=" п/п 7 ")
    payment.refresh_from_db()
    assert (payment.amount, payment.paid_on, payment.reference, payment.created_by) == (
        Decimal("333.33"), datetime.date(2024, 1, 15), "п/п 7", manager)
