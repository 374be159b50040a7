"""Reads for capture: channels and the capture log, scoped to the reader."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from voronka.accounts.models import Role, User
from voronka.core.errors import NotFound
from voronka.deals.visibility import deal_scope_q

from .models import Capture, Channel


def channel_list(*, user: User) -> QuerySet[Channel]:
    """Admins see every channel; heads and marketers their team's; managers none."""
    qs = Channel.objects.select_related("pipeline", "pipeline__team")
    if user.is_admin or (user.role == Role.MARKETER and user.team_id is None):
        return qs
    if user.role in (Role.HEAD, Role.MARKETER) and user.team_id:
        return qs.filter(pipeline__team_id=user.team_id)
    return qs.none()


def channel_get(*, user: User, pk) -> Channel:
    try:
        return channel_list(user=user).get(pk=int(pk))
    except (Channel.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound("channel") from exc


def channel_by_key(*, key: str, kinds: tuple[str, ...]) -> Channel:
    """The active channel behind a public URL's key (the public side has no user)."""
    if not key:
        raise NotFound("channel")
    try:  # the key is unique: the rest is checked here, not compiled into the query
        channel = Channel.objects.select_related("pipeline").get(key=key)
    except Channel.DoesNotExist as exc:
        raise NotFound("channel") from exc
    if channel.kind not in kinds or not channel.is_active:
        raise NotFound("channel")
    return channel


def capture_list(*, user: User, channel_id: int | None = None,
                 outcome: str | None = None) -> QuerySet[Capture]:
    """The capture log: everything received on the reader's channels, and a manager's own
    leads (captures that landed on deals they may see)."""
    qs = Capture.objects.select_related("channel", "deal", "contact")
    if not user.is_admin:
        qs = qs.filter(Q(channel__in=channel_list(user=user))
                       | (Q(deal__isnull=False) & deal_scope_q(user, "deal__")))
    if channel_id:
        qs = qs.filter(channel_id=channel_id)
    if outcome:
        qs = qs.filter(outcome=outcome)
    return qs


def capture_get(*, user: User, pk) -> Capture:
    try:
        return capture_list(user=user).get(pk=int(pk))
    except (Capture.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound("capture") from exc


def recent_from_ip(*, ip: str | None, seconds: int, channel: Channel | None = None) -> int:
    """How many requests this address sent in the last ``seconds`` (the per-IP limit)."""
    if not ip:
        return 0
    qs = Capture.objects.filter(ip=ip, received_at__gte=timezone.now()
                                - datetime.timedelta(seconds=seconds))
    if channel is not None:
        qs = qs.filter(channel=channel)
    return qs.count()
