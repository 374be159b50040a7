"""Service transactions (core.transactions): savepoints only where someone can recover."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from voronka.core.errors import ValidationError
from voronka.core.transactions import all_or_nothing, service
from voronka.crm.models import Company, Contact
from voronka.crm.services import company_create, contact_create
from voronka.deals.models import Deal, DealContact
from voronka.deals.services import deal_create


def _savepoints(ctx) -> int:
    return sum(q["sql"].upper().startswith("SAVEPOINT") for q in ctx.captured_queries)


@service
def _company_then_bad_contact(*, recover: bool) -> Company:
    """A service that calls another and, if ``recover``, carries on after its error."""
    company = company_create(actor=None, name="Ромашка")
    try:
        contact_create(actor=None, full_name="Иван", phones=["not a phone"])
    except ValidationError:
        if not recover:
            raise
    return company


def test_a_caller_may_recover_from_a_service_error_outside_all_or_nothing(db):
    with CaptureQueriesContext(connection) as ctx:
        with pytest.raises(ValidationError):
            contact_create(actor=None, full_name="Иван", phones=["not a phone"])
    assert _savepoints(ctx) == 1  # the test's transaction is the caller's
    assert Contact.objects.count() == 0  # the connection is still usable
    company_create(actor=None, name="Ромашка")
    assert Company.objects.count() == 1


def test_services_called_directly_in_all_or_nothing_take_no_savepoints(manager, pipeline):
    with CaptureQueriesContext(connection) as ctx:
        with all_or_nothing():
            contact = contact_create(actor=None, full_name="Иван", phones=["89161234567"],
                                     owner=manager)
            deal_create(actor=None, pipeline=pipeline, title="Заявка", owner=manager,
                        contacts=[(contact, "other")])
    assert _savepoints(ctx) == 1  # the block's own (it is nested in the test's transaction)
    assert Deal.objects.get().contacts.get() == contact


def test_an_error_in_all_or_nothing_rolls_the_whole_block_back(manager):
    with pytest.raises(ValidationError):
        with all_or_nothing():
            contact_create(actor=None, full_name="Иван", owner=manager)
            contact_create(actor=None, full_name="Пётр", emails=["not an e-mail"])
    assert Contact.objects.count() == 0  # the first contact too; the connection is usable
    contact_create(actor=None, full_name="Иван", owner=manager)
    assert Contact.objects.count() == 1


def test_what_a_service_calls_keeps_its_savepoints_inside_all_or_nothing(db):
    with all_or_nothing():
        company = _company_then_bad_contact(recover=True)
    assert list(Company.objects.all()) == [company]
    assert Contact.objects.count() == 0


def test_deal_create_links_each_contact_once_with_the_last_role(manager, pipeline):
    a = contact_create(actor=None, full_name="Анна", owner=manager)
    b = contact_create(actor=None, full_name="Борис", owner=manager)
    deal = deal_create(actor=None, pipeline=pipeline, title="Заявка", owner=manager,
                       contacts=[(a, "other"), (b, "other"), (a, "decision_maker")])
    links = list(DealContact.objects.filter(deal=deal).order_by("id")
                 .values_list("contact_id", "role"))
    assert links == [(a.pk, "decision_maker"), (b.pk, "other")]


def test_deal_create_with_an_unknown_role_writes_nothing(manager, pipeline):
    a = contact_create(actor=None, full_name="Анна", owner=manager)
    with pytest.raises(ValidationError) as exc:
        deal_create(actor=None, pipeline=pipeline, title="Заявка", owner=manager,
                    contacts=[(a, "nobody")])
    assert "role" in exc.value.errors
    assert Deal.objects.count() == 0


def test_deal_create_without_custom_values_reads_no_custom_fields(manager, pipeline):
    with CaptureQueriesContext(connection) as ctx:
        deal_create(actor=None, pipeline=pipeline, title="Заявка", owner=manager)
    # (The stages' statement joins the custom fields its exit requirements name.)
    assert not any('FROM "pipelines_customfield"' in q["sql"] for q in ctx.captured_queries)
