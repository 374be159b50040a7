import pytest
from django.db import connection

from voronka.accounts.models import Role

from .factories import TeamFactory, UserFactory, make_pipeline


@pytest.fixture
def team(db):
    return TeamFactory(name="Отдел продаж")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="Колл-центр")


@pytest.fixture
def admin(db):
    return UserFactory(role=Role.ADMIN, team=None, is_superuser=True, email="admin@example.com")


@pytest.fixture
def head(team):
    return UserFactory(role=Role.HEAD, team=team, email="head@example.com")


@pytest.fixture
def manager(team):
    return UserFactory(role=Role.MANAGER, team=team, email="manager@example.com")


@pytest.fixture
def manager2(team):
    return UserFactory(role=Role.MANAGER, team=team, email="manager2@example.com")


@pytest.fixture
def marketer(team):
    return UserFactory(role=Role.MARKETER, team=team, email="marketer@example.com")


@pytest.fixture
def pipeline(team):
    return make_pipeline(team, name="B2B")


@pytest.fixture
def stages(pipeline):
    return list(pipeline.stages.order_by("position"))


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    skip = pytest.mark.skip(reason="needs PostgreSQL")
    for item in items:
        if "postgres_only" in item.keywords and "postgresql" not in engine:
            item.add_marker(skip)
