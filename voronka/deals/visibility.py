"""Who may see and change which deals. Every selector and service asks here."""

from __future__ import annotations

from django.db.models import Q

from voronka.accounts.models import Role, User


def deal_scope_q(user: User, prefix: str = "") -> Q:
    """A Q for the deals ``user`` may see; ``prefix`` ("deal__") applies it across a relation.

    admin: everything; head: the team's pipelines and the team members' deals; manager: own
    deals; marketer: the team's pipelines (all when in no team), read only.
    """
    if not user.is_active:
        return Q(pk__in=[])
    if user.is_admin:
        return Q()
    if user.role == Role.MANAGER:
        return Q(**{f"{prefix}owner_id": user.pk})
    if user.team_id is None:
        return Q() if user.role == Role.MARKETER else Q(pk__in=[])
    team_q = Q(**{f"{prefix}pipeline__team_id": user.team_id})
    if user.role == Role.HEAD:
        team_q |= Q(**{f"{prefix}owner__team_id": user.team_id})
    return team_q


def pipeline_deal_scope_q(user: User, pipeline) -> Q:
    """The deals of ``pipeline`` that ``user`` may see: ``deal_scope_q(user)`` and the
    pipeline, without the scope's joins when the user sees every deal of it (an admin, a head
    or marketer of its team, a marketer in no team) — the board counts all of them."""
    in_pipeline = Q(pipeline_id=pipeline.pk)
    if user.is_active and (
            user.is_admin
            or (user.role == Role.MARKETER and user.team_id is None)
            or (user.role in (Role.HEAD, Role.MARKETER) and user.team_id is not None
                and user.team_id == pipeline.team_id)):
        return in_pipeline
    return in_pipeline & deal_scope_q(user)


def can_see_deal(user: User, deal) -> bool:
    from .models import Deal

    return Deal.objects.filter(deal_scope_q(user), pk=deal.pk).exists()


def can_edit_deal(user: User | None, deal) -> bool:
    """``None`` is the system (automation, import, demo): it may change anything."""
    if user is None:
        return True
    if not user.can_write:
        return False
    if user.is_admin:
        return True
    if user.role == Role.MANAGER:
        return deal.owner_id == user.pk
    return user.team_id is not None and (
        deal.pipeline.team_id == user.team_id or deal.owner.team_id == user.team_id)


def can_correct_deal(user: User | None, deal) -> bool:
    """Only an administrator moves a deal back, to fix a mistaken move (audited)."""
    return bool(user is not None and user.is_admin and deal.is_open)


def can_manage_pipeline(user: User | None, pipeline) -> bool:
    if user is None or user.is_admin:
        return True
    return user.role == Role.HEAD and user.team_id == pipeline.team_id


def can_use_pipeline(user: User | None, pipeline) -> bool:
    """May create deals in it: a member of its team (or an admin)."""
    if user is None or user.is_admin:
        return True
    return user.role in (Role.HEAD, Role.MANAGER) and user.team_id == pipeline.team_id
