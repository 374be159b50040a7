import pytest
from django.test import Client

from voronka.accounts.models import Role
from voronka.crm.services import company_create, contact_create

from ..factories import TeamFactory, UserFactory, make_deal


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def outsider(db):
    """A head of sales of another department: sees nothing of ``team``."""
    return UserFactory(role=Role.HEAD, team=TeamFactory(name="Юридический отдел"),
                       email="outsider@example.com")


@pytest.fixture
def deal(pipeline, manager):
    return make_deal(pipeline, manager, title="Поставка стеллажей", budget="0")


@pytest.fixture
def company(manager):
    return company_create(actor=manager, name="ООО «Ромашка»")


@pytest.fixture
def contact(manager, company):
    return contact_create(actor=manager, full_name="Иван Петров", company=company,
                          phones=["+7 916 123-45-67"])
