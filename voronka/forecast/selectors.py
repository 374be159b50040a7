"""The prospective funnel of one manager (or a whole team) for the current month: plan, form,
required pipeline, plan at risk and the forecast — everything the screen and the job read.

Who sees what: a manager their own; a head the members of their team (and the team); an
administrator everyone. The forecast is about sales plans: a marketer (who sells nothing and
has no plan; the reports show them the funnels) gets nothing, as does anybody else (NotFound,
as for a deal one may not see).

Won this month = the deals of the subject whose status is "won" now and whose win was
recorded this month (``closed_at``, the moment of the win that stands): a reopening takes the
win back, and a deal won, reopened and won again counts once, in the month of its last win. It
is valued at the budget recorded with that win (the deal's current budget for rows without
one), as the reports value wins.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import Role, User
from voronka.analytics.query import Amount, day_bounds
from voronka.core.errors import NotFound
from voronka.deals.models import Deal, Transition
from voronka.pipelines.models import Pipeline, Stage

from . import learned
from .form import FunnelForm, borrowed_form, funnel_forms
from .models import Plan
from .montecarlo import SimDeal, Simulation, residuals, simulate, weighted
from .plans import plan_for
from .required import Required, month_bounds, reached_now, required_pipeline

FORECAST_ROLES = (Role.ADMIN, Role.HEAD, Role.MANAGER)


@dataclass
class Prospect:
    pipeline: Pipeline
    owner: User | None  # None: the whole team
    as_of: datetime.date
    month: datetime.date
    plan: Plan | None
    form: FunnelForm
    won: Amount  # won this month so far
    open: Amount
    required: Required | None  # None without a plan
    deals: list[SimDeal]
    weighted: Decimal
    simulation: Simulation | None
    uses_model: bool  # the learned model's probabilities (it beat the baseline)

    @property
    def at_risk(self) -> bool:
        return bool(self.required and self.required.at_risk)


def may_use_forecast(user: User) -> bool:
    """The forecast is for those who sell and plan: managers, heads, administrators."""
    return bool(user.is_active and (user.is_admin or user.role in FORECAST_ROLES))


def pipelines_for(user: User) -> list[Pipeline]:
    if not may_use_forecast(user):
        return []
    qs = Pipeline.objects.filter(is_active=True).select_related("team")
    if not user.is_admin:
        qs = qs.filter(team_id=user.team_id)
    return list(qs.order_by("team__name", "position", "id"))


def subjects_for(user: User, pipeline: Pipeline) -> list[User]:
    """The managers whose prospective funnel ``user`` may open in ``pipeline``."""
    team = User.objects.filter(team_id=pipeline.team_id, is_active=True).exclude(
        role=Role.MARKETER).order_by("full_name", "email")
    if not may_use_forecast(user):
        return []
    if user.is_admin or (user.is_head and user.team_id == pipeline.team_id):
        return list(team)
    return [user] if user.team_id == pipeline.team_id else []


def may_see_team(user: User, pipeline: Pipeline) -> bool:
    return user.is_active and (user.is_admin or (user.is_head
                                                 and user.team_id == pipeline.team_id))


def _open_deals(pipeline: Pipeline, owners: set[int]) -> list[dict]:
    return list(Deal.objects.filter(pipeline=pipeline, owner_id__in=owners,
                                    status=Deal.Status.OPEN)
                .values("id", "stage_id", "budget", "created_at").order_by("id"))


def won_this_month(pipeline: Pipeline, owners: frozenset[int], first: datetime.date,
                   as_of: datetime.date) -> Amount:
    """The deals won now whose standing win falls between ``first`` and ``as_of`` (local days;
    see the module's docstring)."""
    at_win = (Transition.objects.filter(deal_id=OuterRef("pk"), kind=Transition.Kind.WON)
              .order_by("-at", "-id").values("budget")[:1])
    money = DecimalField(max_digits=16, decimal_places=2)
    # Instants, not closed_at's local date: a range an index reads (deal_closed_idx), and the
    # reports' days (analytics.query.day_bounds: the default time zone).
    start, end = day_bounds(first, as_of)
    row = (Deal.objects.filter(pipeline=pipeline, status=Deal.Status.WON, owner_id__in=owners,
                               closed_at__gte=start, closed_at__lt=end)
           .annotate(value=Coalesce(Subquery(at_win, output_field=money), "budget",
                                    output_field=money))
           .aggregate(total=Sum("value"), n=Count("pk")))
    return Amount(row["n"] or 0, Decimal(row["total"] or 0).quantize(Decimal("0.01")))


def build_prospect(pipeline: Pipeline, owner: User | None, *, as_of: datetime.date | None = None,
                   months: int | None = None, runs: int = 0, seed: int = 1,
                   forms: tuple[FunnelForm, dict[int, FunnelForm]] | None = None) -> Prospect:
    """The prospective funnel without a visibility check (jobs; the screen checks first).
    ``runs`` = 0 skips the simulation."""
    as_of = as_of or timezone.localdate()
    first, last = month_bounds(as_of)
    team_form, member_forms = forms or funnel_forms(pipeline, as_of=as_of, months=months)
    if owner is None:
        form = team_form
        owners = set(member_forms)
        plan = plan_for(team_id=pipeline.team_id, month=first, user_id=None)
    else:
        # Someone no longer in the team: the team's rates, never its counts.
        form = member_forms.get(owner.pk) or borrowed_form(team_form, owner.pk, None, 0)
        owners = {owner.pk}
        plan = plan_for(team_id=pipeline.team_id, month=first, user_id=owner.pk)
    won = won_this_month(pipeline, frozenset(owners), first, as_of)
    deals = _open_deals(pipeline, owners)
    stage_rows = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
    by_stage: dict[int, Amount] = {}
    for d in deals:
        by_stage[d["stage_id"]] = by_stage.get(d["stage_id"], Amount()) + Amount(1, d["budget"])
    open_total = sum(by_stage.values(), Amount())
    required = None
    if plan is not None:
        required = required_pipeline(
            stages=[(s.id, s.name) for s in form.stages],
            conversions=[s.conversion for s in form.stages],
            now=reached_now([s.id for s in form.stages], by_stage),
            average_won_budget=form.average_won_budget, revenue_target=plan.revenue,
            wins_target=plan.wins, won=won, as_of=as_of)
    model_p = learned.probabilities(pipeline, [d["id"] for d in deals], as_of=as_of)
    fallback = {s.id: s.probability / 100 for s in stage_rows}
    sims: list[SimDeal] = []
    now = timezone.now()
    for d in deals:
        p = model_p.get(d["id"])
        if p is None:
            p = form.probability(d["stage_id"])
            p = fallback.get(d["stage_id"], 0.0) if p is None else p
        age = max(0, (now - d["created_at"]).days)
        days, weights = residuals(form.cycle_days, age)
        sims.append(SimDeal(d["id"], d["budget"], float(p), days, weights))
    simulation = None
    if runs:
        simulation = simulate(sims, days_left=(last - as_of).days, base=won.budget,
                              target=plan.revenue if plan else None, runs=runs, seed=seed)
    return Prospect(pipeline, owner, as_of, first, plan, form, won, open_total, required,
                    sims, weighted(sims), simulation, bool(model_p))


@dataclass
class MemberLine:
    """One manager on the head's team screen: which stages are short of the requirement, and
    whether that already puts the plan at risk (from the middle of the month)."""

    owner: User
    plan: Plan | None
    won: Amount
    weighted: Decimal
    short: list[tuple[int, str]] = field(default_factory=list)  # (stage id, name)
    checked: bool = False

    @property
    def at_risk(self) -> bool:
        return self.checked and bool(self.short)


def team_lines(pipeline: Pipeline, *, as_of: datetime.date | None = None,
               months: int | None = None,
               forms: tuple[FunnelForm, dict[int, FunnelForm]] | None = None
               ) -> list[MemberLine]:
    as_of = as_of or timezone.localdate()
    forms = forms or funnel_forms(pipeline, as_of=as_of, months=months)
    out = []
    for person in User.objects.filter(pk__in=forms[1], is_active=True).exclude(
            role=Role.MARKETER).order_by("full_name", "email"):
        p = build_prospect(pipeline, person, as_of=as_of, forms=forms)
        short = [(s.id, s.name) for s in p.required.stages if s.short] if p.required else []
        out.append(MemberLine(person, p.plan, p.won, p.weighted, short,
                              bool(p.required and p.required.checked)))
    return out


def prospect(*, user: User, pipeline_id: int, owner_id: int | None, runs: int = 2000,
             seed: int = 1, months: int | None = None) -> tuple[Prospect, list[MemberLine]]:
    """The screen's read: ``owner_id`` None = the team (heads and administrators only), then
    with every member's line."""
    pipeline = next((p for p in pipelines_for(user) if p.pk == pipeline_id), None)
    if pipeline is None:  # none for a role the forecast is not for
        raise NotFound(_("Pipeline not found."))
    if owner_id is None:
        if not may_see_team(user, pipeline):
            raise NotFound(_("Manager not found."))
        forms = funnel_forms(pipeline, months=months)
        return (build_prospect(pipeline, None, runs=runs, seed=seed, forms=forms),
                team_lines(pipeline, forms=forms))
    owner = next((u for u in subjects_for(user, pipeline) if u.pk == owner_id), None)
    if owner is None:
        raise NotFound(_("Manager not found."))
    return build_prospect(pipeline, owner, runs=runs, seed=seed, months=months), []

