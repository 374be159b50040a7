"""Capture under real concurrency: real threads, real transactions, on both databases.

The same person arriving several times at once (in any phone format or e-mail case, through
one channel or several) makes one contact and one open deal; round-robin turns stay exact
and least-loaded sees the loads committed before it; SQLite never says "database is
locked"."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.utils import timezone

from voronka.accounts.models import Role
from voronka.activities.models import Call, Task
from voronka.capture.intake import capture_submit
from voronka.capture.models import Capture, Channel
from voronka.capture.services import channel_create
from voronka.crm.models import Contact
from voronka.crm.services import contact_create
from voronka.deals.models import Deal

from ..factories import UserFactory, make_deal
from ..test_concurrency import run_together

transactional = pytest.mark.django_db(transaction=True)

PHONES = ["+7 916 123-45-67", "89161234567", "8 (916) 123 45 67", "+79161234567",
          "7-916-123-45-67", "+7(916)1234567", "8 916 1234567", "+7 916 1234567"]
EMAILS = ["Ivan@Example.com", "ivan@example.com", "IVAN@EXAMPLE.COM", " ivan@Example.COM "]


def submit(channel_id: int, payload: dict) -> Capture:
    channel = Channel.objects.get(pk=channel_id)  # each thread reads its own, as a request
    capture, created = capture_submit(channel=channel, payload=payload)
    assert created
    return capture


def ok(results) -> list[Capture]:
    errors = [value for kind, value in results if kind != "ok"]
    assert not errors, errors  # in particular no OperationalError "database is locked"
    return [value for _kind, value in results]


def assert_one_person(captures: list[Capture], pipeline) -> Deal:
    """One contact, one open deal in ``pipeline``, every capture on them, one open task."""
    for capture in captures:
        capture.refresh_from_db()
    assert Contact.objects.count() == 1
    contact = Contact.objects.get()
    deals = list(Deal.objects.filter(pipeline=pipeline, status=Deal.Status.OPEN))
    assert len(deals) == 1, deals
    deal = deals[0]
    assert {c.deal_id for c in captures} == {deal.pk}
    assert {c.contact_id for c in captures} == {contact.pk}
    outcomes = Counter(c.outcome for c in captures)
    assert outcomes[Capture.Outcome.CREATED] == 1, outcomes
    assert list(deal.deal_contacts.values_list("contact_id", flat=True)) == [contact.pk]
    return deal


@pytest.fixture
def form(pipeline, manager, manager2, admin):
    return channel_create(actor=admin, name="Форма", kind=Channel.Kind.FORM,
                          pipeline=pipeline, source="site")


@transactional
def test_eight_submissions_of_one_person_make_one_contact_and_one_deal(form, pipeline):
    def work(i: int) -> Capture:
        payload = {"name": f"Иван {i}", "phone": PHONES[i]}
        if i % 2:
            payload["email"] = EMAILS[i // 2]
        return submit(form.pk, payload)

    captures = ok(run_together(8, work))
    deal = assert_one_person(captures, pipeline)
    assert set(Contact.objects.get().emails.values_list("email", flat=True)) == {
        "ivan@example.com"}
    assert set(Contact.objects.get().phones.values_list("number", flat=True)) == {
        "+79161234567"}
    # A repeat request needs an answer, but not a second open task.
    assert Task.objects.filter(deal=deal, is_done=False).count() == 1


@transactional
def test_one_person_through_two_channels_at_once_is_one_contact_and_one_deal(
        form, pipeline, admin):
    hook = channel_create(actor=admin, name="Tilda", kind=Channel.Kind.WEBHOOK,
                          pipeline=pipeline, mapping={"phone": "phone", "email": "email"})

    def work(i: int) -> Capture:
        if i % 2:
            return submit(hook.pk, {"phone": PHONES[i], "email": EMAILS[i // 2],
                                    "provider_id": f"t{i}"})
        return submit(form.pk, {"name": "Иван", "phone": PHONES[i]})

    assert_one_person(ok(run_together(8, work)), pipeline)


@transactional
def test_a_known_contact_reached_by_phone_and_by_email_at_once_gets_one_deal(
        form, pipeline, manager):
    # No lead carries both: only the contact ties the phone to the e-mail.
    contact_create(actor=None, full_name="Иван", phones=["+79161234567"],
                   emails=["ivan@example.com"], owner=manager)

    def work(i: int) -> Capture:
        payload = {"phone": PHONES[i]} if i % 2 else {"email": EMAILS[i // 2]}
        return submit(form.pk, {"name": "Иван", **payload})

    assert_one_person(ok(run_together(8, work)), pipeline)


@transactional
def test_six_missed_calls_from_a_new_number_make_one_contact_and_one_deal(pipeline, manager,
                                                                          admin):
    line = channel_create(actor=admin, name="АТС", kind=Channel.Kind.TELEPHONY,
                          pipeline=pipeline)
    start = timezone.now() - datetime.timedelta(minutes=5)

    def work(i: int) -> Capture:
        return submit(line.pk, {"direction": "inbound", "from": PHONES[i], "to": "+74950000000",
                                "started_at": (start + datetime.timedelta(seconds=i)).isoformat(),
                                "status": "missed", "provider_call_id": f"call-{i}"})

    captures = ok(run_together(6, work))
    for capture in captures:
        capture.refresh_from_db()
    assert Contact.objects.count() == 1
    deal = Deal.objects.get(pipeline=pipeline, status=Deal.Status.OPEN)
    assert {c.deal_id for c in captures} == {deal.pk}
    assert Call.objects.filter(deal=deal, answered=False).count() == 6


@pytest.fixture
def three_managers(team, manager, manager2):
    return [manager, manager2, UserFactory(role=Role.MANAGER, team=team)]


@transactional
def test_twelve_people_at_once_go_round_robin_four_each(pipeline, admin, three_managers):
    channel = channel_create(actor=admin, name="RR", kind=Channel.Kind.FORM, pipeline=pipeline,
                             members=three_managers)

    captures = ok(run_together(12, lambda i: submit(channel.pk, {
        "name": f"Клиент {i}", "phone": f"+7916555{i:04d}"})))
    owners = Counter(Capture.objects.get(pk=c.pk).deal.owner_id for c in captures)
    assert owners == {m.pk: 4 for m in three_managers}
    assert Contact.objects.count() == 12


@transactional
def test_twelve_people_at_once_least_loaded_stay_level(pipeline, admin, three_managers):
    busy = three_managers[0]
    for _ in range(2):
        make_deal(pipeline, busy)
    channel = channel_create(actor=admin, name="LL", kind=Channel.Kind.FORM, pipeline=pipeline,
                             members=three_managers, distribution="least_loaded")

    ok(run_together(12, lambda i: submit(channel.pk, {
        "name": f"Клиент {i}", "phone": f"+7916777{i:04d}"})))
    loads = Counter(Deal.objects.filter(pipeline=pipeline, status=Deal.Status.OPEN)
                    .values_list("owner_id", flat=True))
    # 14 open deals, each new one to whoever had the fewest when it was made: 5, 5, 4.
    assert sorted(loads.values()) == [4, 5, 5], loads
    assert loads[busy.pk] >= 4
