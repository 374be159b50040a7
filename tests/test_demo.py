"""`voronka demo`: the three seed funnels, users of every role and a year of deals whose
history was written through the services — every gate really held, every transition chain
ends where the deal is, and the same arguments build the same data."""

from __future__ import annotations

import datetime
import io
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F
from django.utils import timezone

from voronka.accounts.models import Role, Team, User
from voronka.activities.models import Call, Note, Task
from voronka.core.normalize import normalize_phone
from voronka.crm.models import Company, ContactPhone
from voronka.deals.gates import missing_facts
from voronka.deals.models import Deal, DealFact, Payment, Transition
from voronka.demo import people, texts
from voronka.demo.build import build, demo_state
from voronka.demo.funnels import B2B, DOORS, FUNNELS, WEB, create_pipeline
from voronka.demo.planner import Planner
from voronka.pipelines.lint import pipeline_lint
from voronka.pipelines.models import Pipeline, StageRequirement

AS_OF = timezone.make_aware(datetime.datetime(2025, 6, 16, 12, 30))
SMALL = 120
# The linter's verdict on the demo funnels (issue 2): Dubrovin's and the door shop's pass;
# the seed-002 web studio has 11 stages named by events, not processes, and estimates the
# budget only on its second stage.
LINT = {B2B.key: [], WEB.key: ["too_many_stages", "not_a_process", "budget_not_from_first_stage"],
        DOORS.key: []}


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _snapshot() -> dict:
    """What must be identical between two builds (ids and wall-clock times aside)."""
    return {
        "deals": sorted(Deal.objects.values_list("pipeline__name", "stage__name", "status",
                                                 "owner__email", "title", "budget")),
        "transitions": sorted(Counter(Transition.objects.values_list(
            "pipeline__name", "kind", "to_stage__name")).items()),
        "at": sorted(Transition.objects.values_list("deal__title", "kind", "at")),
        "tasks": Task.objects.count(), "open_tasks": Task.objects.filter(is_done=False).count(),
        "calls": sorted(Call.objects.values_list("duration_seconds", "stage__name")),
        "payments": sorted(Payment.objects.values_list("amount", "paid_on")),
        "notes": Note.objects.count(), "facts": DealFact.objects.count(),
    }


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


# --- the built data set -------------------------------------------------------------------

@pytest.mark.django_db
def test_demo_builds_every_role_stage_and_kind_through_the_gates():
    report = build(deals=SMALL, as_of=AS_OF)
    assert report.deals == SMALL == Deal.objects.count()

    roles = Counter(User.objects.values_list("role", flat=True))
    assert roles[Role.ADMIN] == 1 and roles[Role.MARKETER] == 1
    assert roles[Role.HEAD] == 3 and 6 <= roles[Role.MANAGER] <= 12
    for team in Team.objects.all():
        members = Counter(team.members.values_list("role", flat=True))
        assert members[Role.HEAD] == 1 and 2 <= members[Role.MANAGER] <= 4, team.name
    assert all(u.check_password(people.DEMO_PASSWORD) for u in User.objects.all())

    pipelines = {p.name: p for p in Pipeline.objects.all()}
    assert set(pipelines) == {f.pipeline for f in FUNNELS}
    for spec in FUNNELS:
        pipeline = pipelines[spec.pipeline]
        assert pipeline.team.name == spec.team
        stages = list(pipeline.stages.order_by("position"))
        assert [s.name for s in stages] == [s.name for s in spec.stages]
        for stage in stages:
            assert stage.goal and stage.requirements.exists(), stage.name
            # Every stage shows open deals now, not only deals that passed it once.
            assert Deal.objects.filter(stage=stage, status=Deal.Status.OPEN).exists(), \
                stage.name
        assert pipeline.loss_reasons.count() >= 6
        assert Deal.objects.filter(pipeline=pipeline, status=Deal.Status.WON).exists()
        assert Deal.objects.filter(pipeline=pipeline, status=Deal.Status.LOST).exists()

    # The deal is where its log says: last transition = stage and status, closed ↔ kind.
    for deal in Deal.objects.prefetch_related("transitions"):
        chain = sorted(deal.transitions.all(), key=lambda t: (t.at, t.pk))
        assert chain[0].kind == Transition.Kind.CREATED and chain[0].at == deal.created_at
        last = chain[-1]
        assert last.to_stage_id == deal.stage_id
        assert (deal.status == Deal.Status.WON) == (last.kind == Transition.Kind.WON)
        assert (deal.status == Deal.Status.LOST) == (last.kind == Transition.Kind.LOST)
        if deal.status == Deal.Status.LOST:
            assert deal.loss_reason_id and last.loss_reason_id == deal.loss_reason_id
        assert [t.at for t in chain] == sorted(t.at for t in chain)
        assert all(t.at <= AS_OF for t in chain)
    kinds = set(Transition.objects.values_list("kind", flat=True))
    assert {"created", "advance", "skip", "won", "lost", "reopen"} <= kinds

    # Nothing was bypassed: a deal on stage N (or won) meets the facts of every stage it left.
    for deal in Deal.objects.select_related("pipeline"):
        stages = list(deal.pipeline.stages.order_by("position"))
        here = next(i for i, s in enumerate(stages) if s.pk == deal.stage_id)
        passed = stages if deal.status == Deal.Status.WON else stages[:here]
        assert missing_facts(deal, passed) == [], deal.title
    assert Deal.objects.filter(budget__gt=0).count() > SMALL // 2

    # Activities: tasks done and open (some overdue), calls in minutes on a stage, payments.
    assert Task.objects.filter(is_done=True).exists()
    assert Task.objects.filter(is_done=False, due_at__lt=AS_OF).exists()
    assert Task.objects.filter(is_done=False, due_at__gte=AS_OF).exists()
    assert not Task.objects.filter(is_done=True, done_at__lt=F("created_at")).exists()
    agreements = Task.objects.filter(text__startswith="Договориться").count()
    assert agreements > Task.objects.count() * 0.7
    answered = Call.objects.filter(answered=True)
    assert answered.exists() and not Call.objects.filter(stage__isnull=True).exists()
    assert 60 <= sum(answered.values_list("duration_seconds", flat=True)) / answered.count() \
        <= 15 * 60
    assert Payment.objects.exists() and Note.objects.exists()
    assert not Payment.objects.filter(amount__lte=0).exists()
    assert DealFact.objects.exists()

    # Clients: E.164 phones, valid INNs, several sources with UTM tags.
    for number in ContactPhone.objects.values_list("number", flat=True):
        assert re.fullmatch(r"\+7\d{10}", number) and normalize_phone(number) == number
    for inn in Company.objects.exclude(inn="").values_list("inn", flat=True):
        assert _inn_valid(inn), inn
    assert Deal.objects.values("source").distinct().count() >= 6
    assert Deal.objects.exclude(utm_source="").exists()

    # Some open deals sit over their stage's time limit, not all of them.
    open_deals = list(Deal.objects.filter(status=Deal.Status.OPEN).select_related("stage"))
    over = [d for d in open_deals if d.stage.time_limit_hours and
            (AS_OF - d.stage_entered_at).total_seconds() > d.stage.time_limit_hours * 3600]
    assert 0 < len(over) < len(open_deals)

    # The linter's findings on the three demo funnels.
    for spec in FUNNELS:
        assert [f.code for f in pipeline_lint(pipelines[spec.pipeline])] == LINT[spec.key]

    # Reports and the forecast are ready on the first visit: rollups built, models tried.
    from voronka.analytics.models import DealSnapshot, RefreshState
    from voronka.forecast.models import WinModel

    assert RefreshState.objects.get().rebuilt_at is not None
    assert DealSnapshot.objects.count() == SMALL
    assert WinModel.objects.values("pipeline").distinct().count() >= 1


# --reset flushes the database: on PostgreSQL that takes a real transaction, not the test's.
@pytest.mark.django_db(transaction=True)
def test_command_is_deterministic_idempotent_and_resets():
    args = ("--deals", str(SMALL), "--seed", "11", "--as-of", AS_OF.isoformat())
    first_out = _run(*args)
    assert "admin@voronka.test" in first_out and people.DEMO_PASSWORD in first_out
    for staff in people.STAFF:
        assert staff.email in first_out
    first = _snapshot()

    again = _run(*args)  # `make demo` twice: the logins again, nothing duplicated
    assert "admin@voronka.test" in again
    assert _snapshot() == first
    assert User.objects.count() == len(people.STAFF)

    _run(*args, "--reset")  # wipe and rebuild: the same data
    assert _snapshot() == first


@pytest.mark.django_db
def test_command_refuses_to_mix_the_demo_into_other_data():
    Team.objects.create(name="Наш отдел")
    with pytest.raises(CommandError):
        _run("--deals", "5")
    assert not Deal.objects.exists() and demo_state() == "foreign"


@pytest.mark.django_db(transaction=True)
def test_an_interrupted_build_asks_for_reset():
    Team.objects.create(name=B2B.team)
    assert demo_state() == "partial"
    with pytest.raises(CommandError, match="--reset"):
        _run("--deals", "5")
    _run("--reset", "--deals", "12", "--as-of", AS_OF.isoformat())
    assert demo_state() == "complete" and Deal.objects.count() == 12


@pytest.mark.django_db
@pytest.mark.parametrize("spec", FUNNELS, ids=lambda s: s.key)
def test_linter_findings_on_each_demo_funnel(spec):
    pipeline = create_pipeline(spec, Team.objects.create(name=spec.team))
    assert [f.code for f in pipeline_lint(pipeline)] == LINT[spec.key]


# --- pure parts: the plan, the funnel data ------------------------------------------------

def _reached(plans, funnel, owner):
    """Deals that reached each stage (from the plan), and the number won at the end."""
    out = [0] * (len(funnel.stages) + 1)
    for p in plans:
        if p.funnel is funnel and p.owner == owner:
            furthest = max([0] + [e.stage for e in p.events if e.kind == "move"])
            for i in range(furthest + 1):
                out[i] += 1
            out[-1] += p.outcome == "won"
    return out


def test_plan_is_deterministic_and_managers_have_their_own_funnel_shape():
    a = Planner(seed=5, deals=2000, as_of=AS_OF).plan()
    b = Planner(seed=5, deals=2000, as_of=AS_OF).plan()
    assert [(p.owner, p.lead.title, p.events, p.outcome) for p in a] == \
        [(p.owner, p.lead.title, p.events, p.outcome) for p in b]
    assert all(e.at < AS_OF for p in a for e in p.events)
    assert min(p.created_at for p in a) > AS_OF - datetime.timedelta(days=366)

    trapezoid, pipe = _reached(a, B2B, "o.orlova@voronka.test"), \
        _reached(a, B2B, "s.kuznetsov@voronka.test")
    guitar, barrel = _reached(a, B2B, "d.sokolov@voronka.test"), \
        _reached(a, B2B, "i.belova@voronka.test")
    assert trapezoid[0] > 2 * pipe[0]  # the trapezoid takes many more leads…
    assert trapezoid[-1] / trapezoid[1] < pipe[-1] / pipe[1]  # …and the pipe closes better
    # The guitar passes the middle (ТЗ → contract → payment) better than anyone.
    middle = {name: r[3] / r[1] for name, r in
              {"guitar": guitar, "trapezoid": trapezoid, "barrel": barrel}.items()}
    assert max(middle, key=middle.get) == "guitar"
    # The barrel revives archived clients in the middle of the funnel.
    revived = Counter(p.final_owner for p in a for e in p.events if e.kind == "reopen"
                      and p.funnel is B2B)
    assert revived.most_common(1)[0][0] == "i.belova@voronka.test"
    assert Planner(seed=6, deals=2000, as_of=AS_OF).plan()[0].lead.title != a[0].lead.title
    skirt = [p for p in a if p.owner == "a.popova@voronka.test"]
    others = [p for p in a if p.funnel is WEB and p.owner != "a.popova@voronka.test"]
    share = sum(p.repeat_of is not None for p in skirt) / len(skirt)
    assert share > 3 * sum(p.repeat_of is not None for p in others) / len(others)
    assert any(e.kind == "handover" for p in a for e in p.events)


def test_funnels_use_every_requirement_kind_and_fill_fields_in_time():
    used = {r["kind"] for f in FUNNELS for s in f.stages for r in s.requirements}
    assert used == set(StageRequirement.Kind.values)
    assert len(WEB.stages) == 11 and len(B2B.stages) == len(DOORS.stages) == 5
    for spec in FUNNELS:
        codes = {cf["code"] for cf in spec.custom_fields}
        assert set(texts.FIELD_STAGE[spec.key]) == codes
        for index, stage in enumerate(spec.stages):
            assert stage.task[1].startswith("Договориться")
            for req in stage.requirements:
                if req.get("custom_field"):
                    # A required field is filled no later than the stage that asks for it.
                    assert texts.FIELD_STAGE[spec.key][req["custom_field"]] <= index


def _inn_valid(inn: str) -> bool:
    digits = [int(c) for c in inn]

    def check(weights):
        return sum(d * w for d, w in zip(digits, weights, strict=False)) % 11 % 10

    if len(inn) == 10:
        return check((2, 4, 10, 3, 5, 9, 4, 6, 8)) == digits[9]
    return (check((7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) == digits[10]
            and check((3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) == digits[11])


def test_generated_clients_are_valid():
    import random

    rng = random.Random(3)
    names = people.CompanyNames()
    for _ in range(200):
        company = names.make(rng)
        assert _inn_valid(company.inn) and company.domain.endswith(".example")
        assert re.fullmatch(r"\+7\d{10}", normalize_phone(people.mobile(rng)))
        assert re.fullmatch(r"\+7\d{10}", normalize_phone(people.landline(rng, company.area)))
    assert len(names.used) == 200
    assert Counter(s.role for s in people.STAFF)[Role.ADMIN] == 1
    assert people.MARKER_EMAIL == "admin@voronka.test"

