"""Building the demo data set: teams and users, the three funnels, then the planned history
of every deal written through the services in batches of one transaction each."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from voronka.accounts.models import Role, Team, User
from voronka.accounts.services import team_create, user_create
from voronka.activities.models import Call, Note, Task
from voronka.deals.models import Deal, Payment, Transition
from voronka.pipelines.models import Pipeline

from . import people
from .funnels import FUNNELS, create_pipeline
from .history import DealWriter, Funnel, World
from .planner import Planner
from .plans import write_plans

DEFAULT_SEED = 20240601
DEFAULT_DEALS = 2000
BATCH = 100


class DemoState:
    EMPTY = "empty"  # nothing there: build
    COMPLETE = "complete"  # a finished demo: print the logins
    PARTIAL = "partial"  # an interrupted build: needs --reset
    FOREIGN = "foreign"  # someone's own data: never mix the demo into it


def demo_state() -> str:
    if User.objects.filter(email=people.MARKER_EMAIL).exists():
        return DemoState.COMPLETE
    staff = [s.email for s in people.STAFF]
    if (User.objects.filter(email__in=staff).exists()
            or Team.objects.filter(name__in=[f.team for f in FUNNELS]).exists()):
        return DemoState.PARTIAL
    if Pipeline.objects.exists() or Deal.objects.exists() or Team.objects.exists():
        return DemoState.FOREIGN
    return DemoState.EMPTY


@dataclass(frozen=True)
class Login:
    email: str
    full_name: str
    role: str
    team: str


def demo_logins() -> list[Login]:
    """The demo users as stored, in the order of ``people.STAFF``."""
    users = {u.email: u for u in User.objects.filter(
        email__in=[s.email for s in people.STAFF]).select_related("team")}
    return [Login(u.email, u.full_name, Role(u.role).label, u.team.name if u.team else "")
            for s in people.STAFF if (u := users.get(s.email))]


def _staff(users: dict[str, User], teams: dict[str, Team], which: list[people.Staff]) -> None:
    for s in which:
        users[s.email] = user_create(email=s.email, password=people.DEMO_PASSWORD,
                                     full_name=s.full_name, role=s.role,
                                     team=teams[s.team] if s.team else None)


@dataclass
class Report:
    deals: int
    seconds: float
    counts: dict[str, int]


def build(*, seed: int = DEFAULT_SEED, deals: int = DEFAULT_DEALS,
          as_of: datetime.datetime | None = None,
          progress: Callable[[int, int], None] | None = None) -> Report:
    """Build the whole demo into an empty database. Deterministic for (seed, deals, as_of)."""
    started = time.monotonic()
    validate_password(people.DEMO_PASSWORD)
    as_of = (as_of or timezone.now()).replace(second=0, microsecond=0)
    planner = Planner(seed=seed, deals=deals, as_of=as_of)
    plans = planner.plan()
    users: dict[str, User] = {}
    with transaction.atomic():
        teams = {f.key: team_create(name=f.team) for f in FUNNELS}
        _staff(users, teams, [s for s in people.STAFF if s.email != people.MARKER_EMAIL])
        funnels = {}
        for spec in FUNNELS:
            head = next(users[s.email] for s in people.STAFF
                        if s.team == spec.key and s.role == Role.HEAD)
            funnels[spec.key] = Funnel.load(create_pipeline(spec, teams[spec.key]), head)
    world = World(planner=planner, funnels=funnels, users=users)
    for start in range(0, len(plans), BATCH):
        with transaction.atomic():
            for plan in plans[start:start + BATCH]:
                DealWriter(world, plan).write()
        if progress:
            progress(min(start + BATCH, len(plans)), len(plans))
    with transaction.atomic():
        write_plans(as_of)
    _prepare_reports()
    # The administrator comes last: a finished build is recognised by it.
    with transaction.atomic():
        _staff(users, teams, [s for s in people.STAFF if s.email == people.MARKER_EMAIL])
    return Report(deals=len(plans), seconds=time.monotonic() - started, counts=counts())


def _prepare_reports() -> None:
    """What the worker's jobs would do by the next night, done now so the first visit sees
    it: the report rollups built, and each pipeline's win-probability model trained (a model
    is used only where it beats the stage baseline, as always)."""
    from voronka.analytics import rollups
    from voronka.forecast.learned import train

    rollups.rebuild()
    for pipeline in Pipeline.objects.filter(is_active=True).order_by("pk"):
        train(pipeline)


def counts() -> dict[str, int]:
    out = {
        "deals": Deal.objects.count(),
        "transitions": Transition.objects.count(),
        "tasks": Task.objects.count(),
        "calls": Call.objects.count(),
        "payments": Payment.objects.count(),
        "notes": Note.objects.count(),
    }
    for row in Deal.objects.values("status").annotate(n=Count("id")).order_by("status"):
        out[f"deals_{row['status']}"] = row["n"]
    return out
