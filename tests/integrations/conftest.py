import pytest

from tests.automation.conftest import run_jobs


@pytest.fixture
def jobs(db):
    return run_jobs


@pytest.fixture
def mail(settings):
    from django.core import mail as django_mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    django_mail.outbox = []
    return django_mail


@pytest.fixture
def private_ok(settings):
    settings.VORONKA_WEBHOOKS_ALLOW_PRIVATE = True
