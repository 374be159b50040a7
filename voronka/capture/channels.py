"""Capture channels: a form, callback widget, webhook or telephony line with its secret key,
field layout or mapping, target pipeline and distribution."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.core.errors import PermissionDenied, ValidationError
from voronka.deals.visibility import can_manage_pipeline
from voronka.pipelines.models import CustomField, Pipeline

from .fields import CALLBACK_FORM, DEFAULT_FORM, clean_form_fields, clean_mapping
from .models import Channel

Kind = Channel.Kind
CHANNEL_FIELDS = ("name", "pipeline", "is_active", "fields", "mapping", "distribution",
                  "source", "task_due_minutes", "success_url")


def default_fields(kind: str) -> list[dict[str, Any]]:
    """The fields a new form or callback widget shows unless told otherwise."""
    if kind == Kind.CALLBACK:
        return list(CALLBACK_FORM)
    return list(DEFAULT_FORM) if kind == Kind.FORM else []


def channel_validate(channel: Channel, members: list[User] | None) -> None:
    """Check and normalise a channel's settings in place (ValidationError names fields)."""
    errors: dict[str, str] = {}
    channel.name = (channel.name or "").strip()
    if not channel.name or len(channel.name) > 200:
        errors["name"] = _("This field is required.")
    if channel.kind not in Kind.values:
        errors["kind"] = _("Unknown channel kind.")
    if channel.distribution not in Channel.Distribution.values:
        errors["distribution"] = _("Unknown distribution.")
    if not isinstance(channel.task_due_minutes, int) or not 1 <= channel.task_due_minutes \
            <= 60 * 24 * 30:
        errors["task_due_minutes"] = _("Between 1 minute and 30 days.")
    if channel.success_url and not channel.success_url.startswith(("http://", "https://")):
        errors["success_url"] = _("Enter an http(s) address.")
    for member in members or []:
        # A member owns the channel's new deals: someone who may own deals (deal_create
        # refuses the others, and every lead would fail).
        if not member.can_write or (member.team_id != channel.pipeline.team_id
                                    and not member.is_admin):
            errors["members"] = _("Members must be active managers or heads of the "
                                  "pipeline's team.")
    if errors:
        raise ValidationError(errors)
    codes = set(CustomField.objects.filter(pipeline=channel.pipeline)
                .values_list("code", flat=True))
    if channel.kind in (Kind.FORM, Kind.CALLBACK):
        channel.fields = clean_form_fields(channel.fields, codes)
        channel.mapping = {}
    else:
        channel.fields = []
        channel.mapping = clean_mapping(channel.mapping, telephony=channel.kind == Kind.TELEPHONY,
                                        custom_codes=codes)


@transaction.atomic
def channel_create(*, actor: User | None, name: str, kind: str, pipeline: Pipeline,
                   fields: list | None = None, mapping: dict | None = None,
                   distribution: str = Channel.Distribution.ROUND_ROBIN,
                   members: list[User] | None = None, source: str = "",
                   task_due_minutes: int = 30, success_url: str = "",
                   is_active: bool = True) -> Channel:
    """A new capture channel with a fresh secret key; a form or callback widget without
    ``fields`` gets the usual ones."""
    if not can_manage_pipeline(actor, pipeline):
        raise PermissionDenied(_("Only an administrator or the team's head can set up "
                                 "lead capture."))
    channel = Channel(name=name, kind=kind, pipeline=pipeline,
                      fields=default_fields(kind) if fields is None else fields,
                      mapping=mapping or {}, distribution=distribution,
                      source=(source or "").strip()[:100], task_due_minutes=task_due_minutes,
                      success_url=(success_url or "").strip(), is_active=is_active,
                      key=secrets.token_urlsafe(24))
    channel_validate(channel, members)
    channel.save()
    if members:
        channel.members.set(members)
    return channel


@transaction.atomic
def channel_update(*, channel: Channel, actor: User | None, members: list[User] | None = None,
                   **changes: Any) -> Channel:
    """Change a channel's settings."""
    if not can_manage_pipeline(actor, channel.pipeline) or (
            "pipeline" in changes and not can_manage_pipeline(actor, changes["pipeline"])):
        raise PermissionDenied(_("Only an administrator or the team's head can set up "
                                 "lead capture."))
    unknown = set(changes) - set(CHANNEL_FIELDS)
    if unknown:
        raise ValidationError({n: _("This field cannot be changed here.") for n in unknown})
    for name, value in changes.items():
        setattr(channel, name, value)
    channel_validate(channel, members)
    channel.save()
    if members is not None:
        channel.members.set(members)
    return channel


@transaction.atomic
def channel_rotate_key(*, channel: Channel, actor: User | None) -> Channel:
    """A new secret key: the old address and every pasted snippet stop working. Only the key
    changes, so a leaked key can always be replaced, whatever else the settings need."""
    if not can_manage_pipeline(actor, channel.pipeline):
        raise PermissionDenied(_("Only an administrator or the team's head can set up "
                                 "lead capture."))
    channel.key = secrets.token_urlsafe(24)
    channel.save(update_fields=["key"])
    return channel
