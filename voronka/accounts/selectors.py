"""Reads about users and teams, scoped to what the reader may see."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Role, Team, User


def user_list(*, user: User) -> QuerySet[User]:
    """People the reader may see: everyone for admins, the own team for the others."""
    qs = User.objects.filter(is_active=True).select_related("team")
    if user.is_admin or user.team_id is None and user.role == Role.MARKETER:
        return qs
    return qs.filter(team_id=user.team_id)


def team_list(*, user: User) -> QuerySet[Team]:
    qs = Team.objects.all()
    if user.is_admin or user.team_id is None and user.role == Role.MARKETER:
        return qs
    return qs.filter(pk=user.team_id)


def user_choices(*, user: User) -> list[tuple[int, str]]:
    """``user_list`` as (id, name) pairs, for filter menus (no model instances to build)."""
    return [(pk, full_name or email) for pk, full_name, email
            in user_list(user=user).values_list("pk", "full_name", "email")]


def team_choices(*, user: User) -> list[tuple[int, str]]:
    """``team_list`` as (id, name) pairs, for filter menus."""
    return list(team_list(user=user).values_list("pk", "name"))


def api_token_list(*, user: User):
    """The user's own API tokens, newest first (secrets are never stored)."""
    from .models import ApiToken

    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def people_manage_list(*, user: User) -> QuerySet[User]:
    """People on the users settings page: everyone for administrators, the own team for a
    head of sales (inactive ones too, to re-activate them), the own team's active members
    for the others."""
    qs = User.objects.select_related("team").order_by("team__name", "full_name", "email")
    if user.is_admin:
        return qs
    if user.is_head:
        return qs.filter(team_id=user.team_id)
    return qs.filter(team_id=user.team_id, is_active=True)
