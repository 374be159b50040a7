"""Monthly plans: who may set them (an administrator, or the head of the team), and reading
them. A manager's plan and the team's plan are independent targets: the team's plan is not
the sum of its managers' (a head often plans the team above the sum, as a reserve)."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import Team, User
from voronka.core.errors import NotFound, PermissionDenied, ValidationError

from .models import Plan

MAX_REVENUE = Decimal("999999999999.99")


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def may_plan(actor: User, team: Team) -> bool:
    """An administrator plans every team; a head plans their own."""
    return bool(actor.is_active and (actor.is_admin or (actor.is_head
                                                        and actor.team_id == team.pk)))


def _money(value: object) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError({"revenue": [_("Enter a number.")]}) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_REVENUE:
        raise ValidationError({"revenue": [_("Enter an amount from 0 to 999 999 999 999.99.")]})
    return amount.quantize(Decimal("0.01"))


def _count(value: object) -> int:
    try:
        wins = int(str(value).strip() or "0")
    except ValueError:
        raise ValidationError({"wins": [_("Enter a whole number.")]}) from None
    if wins < 0 or wins > 1_000_000:
        raise ValidationError({"wins": [_("Enter a whole number from 0 to 1,000,000.")]})
    return wins


@transaction.atomic
def plan_set(*, actor: User, team: Team, month: datetime.date, revenue: object,
             wins: object = 0, user: User | None = None) -> Plan:
    """Create or replace the plan of ``user`` (or of the whole ``team`` when None) for the
    month containing ``month``."""
    if not may_plan(actor, team):
        raise PermissionDenied(_("Only an administrator or the head of the team sets its plans."))
    if not isinstance(month, datetime.date):
        raise ValidationError({"month": [_("Enter a valid month.")]})
    if user is not None and user.team_id != team.pk:
        raise ValidationError({"user": [_("This person is not in the team.")]})
    amount, count = _money(revenue), _count(wins)
    plan, _created = Plan.objects.select_for_update().update_or_create(
        team=team, user=user, month=month_start(month),
        defaults={"revenue": amount, "wins": count, "updated_at": timezone.now(),
                  "updated_by": actor})
    return plan


@transaction.atomic
def plan_delete(*, actor: User, plan_id: int) -> None:
    plan = Plan.objects.select_related("team").filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(_("Plan not found."))
    if not may_plan(actor, plan.team):
        raise PermissionDenied(_("Only an administrator or the head of the team sets its plans."))
    plan.delete()


# --- selectors -----------------------------------------------------------------------------

def plannable_teams(user: User) -> list[Team]:
    """The teams whose plans ``user`` may see and set on the settings screen."""
    if user.is_admin:
        return list(Team.objects.order_by("name"))
    if user.is_head and user.team_id:
        return list(Team.objects.filter(pk=user.team_id))
    return []


def plans_for_month(*, user: User, month: datetime.date) -> list[Plan]:
    teams = [t.pk for t in plannable_teams(user)]
    return list(Plan.objects.filter(team_id__in=teams, month=month_start(month))
                .select_related("team", "user").order_by("team__name", "user__full_name"))


def plan_for(*, team_id: int, month: datetime.date, user_id: int | None) -> Plan | None:
    """The plan of a manager (or of the team when ``user_id`` is None) for a month."""
    return Plan.objects.filter(team_id=team_id, user_id=user_id,
                               month=month_start(month)).first()


def plan_months(*, user: User) -> list[datetime.date]:
    teams = [t.pk for t in plannable_teams(user)]
    return sorted(set(Plan.objects.filter(team_id__in=teams).values_list("month", flat=True)),
                  reverse=True)
