"""A deal can be linked only to companies and contacts its writer may see."""

import pytest

from voronka.core.errors import ValidationError
from voronka.deals.models import DealContact
from voronka.deals.services import deal_contact_attach, deal_update

from .factories import make_company, make_contact, make_deal


def test_manager_cannot_link_another_managers_company_or_contact(pipeline, manager, manager2):
    theirs_company = make_company(manager2)
    theirs_contact = make_contact(manager2)
    deal = make_deal(pipeline, manager)
    with pytest.raises(ValidationError) as exc:
        deal_update(deal=deal, actor=manager, company=theirs_company)
    assert "company" in exc.value.errors
    with pytest.raises(ValidationError) as exc:
        deal_contact_attach(deal=deal, contact=theirs_contact, actor=manager)
    assert "contacts" in exc.value.errors
    assert not DealContact.objects.filter(deal=deal).exists()
    with pytest.raises(ValidationError):
        make_deal(pipeline, manager, company=theirs_company)


def test_own_and_head_links_are_allowed(pipeline, manager, manager2, head):
    company, contact = make_company(manager), make_contact(manager)
    deal = make_deal(pipeline, manager, company=company, contacts=[(contact, "decision_maker")])
    assert deal.company_id == company.pk
    # The head sees the team's clients, so may link a manager's contact to another's deal.
    other = make_deal(pipeline, manager2)
    deal_contact_attach(deal=other, contact=contact, actor=head)
    assert DealContact.objects.filter(deal=other, contact=contact).exists()
