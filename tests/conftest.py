import pytest
from django.db import connection
from hypothesis import settings as hypothesis_settings

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


# Hypothesis: no example database in the working tree, no per-example deadline (the shared
# test machine is noisy; speed is measured in bench/, not here).
hypothesis_settings.register_profile("voronka", deadline=None, database=None, print_blob=True)
hypothesis_settings.load_profile("voronka")


@pytest.fixture
def other_head(other_team):
    return UserFactory(role=Role.HEAD, team=other_team, email="head2@example.com")


@pytest.fixture
def other_manager(other_team):
    return UserFactory(role=Role.MANAGER, team=other_team, email="manager3@example.com")


@pytest.fixture
def other_pipeline(other_team):
    return make_pipeline(other_team, name="Колл-центр")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 with its production work factor costs ~0.4 s per user on the test machine; the
    # tests create many users and none of them measures hashing strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    # The product's default language is Russian; tests read English messages unless they
    # switch language themselves (translation.override, the language switch, Accept-Language).
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def subscriber_calls(monkeypatch):
    """(subscriber, event name) for every event that reaches the automation or the webhooks
    subscriber; the real subscribers still run (wrapped, not replaced)."""
    from voronka.automation import handlers
    from voronka.core import events
    from voronka.integrations import payloads

    seen: list[tuple[str, str]] = []

    def spy(name, handler):
        def wrapper(event):
            seen.append((name, event.name))
            return handler(event)
        return wrapper

    wrapped = {handlers.on_event: spy("automation", handlers.on_event),
               payloads.on_event: spy("webhooks", payloads.on_event)}
    monkeypatch.setattr(events, "_subscribers",
                        [wrapped.get(h, h) for h in events._subscribers])
    monkeypatch.setattr(events, "_probes",
                        {wrapped.get(h, h): p for h, p in events._probes.items()})
    return seen


@pytest.fixture
def jobs(db):
    """Run the queued jobs (tests.jobs.run_jobs) when the test says so."""
    from tests.jobs import run_jobs

    return run_jobs


@pytest.fixture
def mail(settings):
    from django.core import mail as django_mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    django_mail.outbox = []
    return django_mail
