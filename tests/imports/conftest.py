from pathlib import Path

import pytest

from tests.factories import UserFactory
from voronka.accounts.models import Role

DATA = Path(__file__).parent / "data"


@pytest.fixture
def ivan(team):
    return UserFactory(role=Role.MANAGER, team=team, email="ivan@example.com",
                       full_name="Иван Петров")


@pytest.fixture
def maria(team):
    return UserFactory(role=Role.MANAGER, team=team, email="maria@example.com",
                       full_name="Мария Козлова")


@pytest.fixture
def people(ivan, maria, admin, pipeline):
    return {"ivan": ivan, "maria": maria, "admin": admin}
