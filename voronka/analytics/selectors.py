"""What the report filters offer a user: pipelines, teams, managers, sources they may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from voronka.accounts.models import Role, Team, User
from voronka.accounts.selectors import team_list, user_list
from voronka.pipelines.models import Pipeline

from .models import CohortCell
from .query import owners_visible
from .rollups import ensure_fresh


def report_pipelines(*, user: User) -> QuerySet[Pipeline]:
    """Pipelines with anything the user may see: admins all; marketers their team's (all when
    in no team); heads and managers their team's and those where their (team's) deals are."""
    qs = Pipeline.objects.filter(is_active=True).order_by("position", "id")
    if not user.is_active:
        return qs.none()
    if user.is_admin or (user.role == Role.MARKETER and user.team_id is None):
        return qs
    if user.role == Role.MARKETER:
        return qs.filter(team_id=user.team_id)
    ensure_fresh()
    owners = ([user.pk] if user.role == Role.MANAGER else
              list(User.objects.filter(team_id=user.team_id).values_list("pk", flat=True)))
    # Through the cells' index (pipeline, level, grain, owner…): no scan of the deals.
    holding = (CohortCell.objects.filter(pipeline_id__in=list(qs.values_list("pk", flat=True)),
                                         level=1, grain="m", owner_id__in=owners)
               .values("pipeline_id"))
    return qs.filter(Q(team_id=user.team_id) | Q(pk__in=holding)).distinct()


def report_teams(*, user: User) -> QuerySet[Team]:
    return team_list(user=user)


def report_managers(*, user: User) -> QuerySet[User]:
    """People who can own deals, among those the user may see (a manager: only themself)."""
    if user.role == Role.MANAGER and not user.is_admin:
        return User.objects.filter(pk=user.pk)
    return user_list(user=user).filter(role__in=[Role.MANAGER, Role.HEAD, Role.ADMIN])


def report_sources(*, user: User, pipeline: Pipeline) -> list[str]:
    """The sources of the deals of ``pipeline`` the user may see (from the rollups, made
    fresh first so a source just used is offered at once: no scan of the deals)."""
    ensure_fresh()
    owners = owners_visible(user, pipeline)
    if owners is None:
        cells = CohortCell.objects.filter(pipeline_id=pipeline.pk, level=2, grain="m")
    elif not owners:
        return []
    else:
        cells = CohortCell.objects.filter(pipeline_id=pipeline.pk, level=3, grain="m",
                                          owner_id__in=sorted(owners))
    return sorted(set(cells.values_list("source", flat=True)))
