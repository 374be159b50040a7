import pytest


@pytest.fixture
def private_ok(settings):
    settings.VORONKA_WEBHOOKS_ALLOW_PRIVATE = True
