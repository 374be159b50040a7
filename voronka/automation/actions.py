"""Rule actions: the catalogue, validation when a rule is saved, execution in the worker.

Every action goes through the same services as a person's click (``task_create``,
``deal_update``, ``deal_move``…), so a rule can never do what the method forbids: "move to
the next stage" calls ``deal_move``, which refuses while the stage's exit facts do not hold.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.accounts.models import Role, User
from voronka.activities.models import TaskKind
from voronka.core.errors import ValidationError
from voronka.core.numbers import MAX_DB_INT
from voronka.pipelines.models import Pipeline

from . import conditions
from .models import Rule

CREATE_TASK, SEND_EMAIL, NOTIFY, SET_FIELD, MOVE_NEXT, WEBHOOK = (
    "create_task", "send_email", "notify", "set_field", "move_next", "webhook")

TYPES: dict[str, Any] = {
    CREATE_TASK: gettext_lazy("Create a task"),
    SEND_EMAIL: gettext_lazy("Send an e-mail from a template"),
    NOTIFY: gettext_lazy("Notify in the app"),
    SET_FIELD: gettext_lazy("Set a field"),
    MOVE_NEXT: gettext_lazy("Move to the next stage (only if its facts hold)"),
    WEBHOOK: gettext_lazy("Call an outgoing webhook"),
}
ASSIGNEES: dict[str, Any] = {
    "owner": gettext_lazy("the deal's owner"),
    "user": gettext_lazy("a chosen user"),
    "round_robin": gettext_lazy("in turn among the team's managers"),
}
RECIPIENTS: dict[str, Any] = {
    "contact": gettext_lazy("the deal's contact"),
    "owner": gettext_lazy("the deal's owner"),
    "address": gettext_lazy("a fixed address"),
}
NOTIFY_TO: dict[str, Any] = {
    "owner": gettext_lazy("the deal's owner"),
    "user": gettext_lazy("a chosen user"),
    "heads": gettext_lazy("the team's heads of sales"),
}
SETTABLE = ("title", "budget", "source", "owner", "expected_close_date", "utm_source",
            "utm_medium", "utm_campaign", "utm_term", "utm_content")
MAX_DUE_MINUTES = 366 * 24 * 60
MAX_ACTIONS = 20


@dataclass(frozen=True)
class Outcome:
    type: str
    outcome: str  # done | already | refused | failed
    # What it did, as data (``outcomes.detail``), put into words when shown.
    detail: dict[str, Any] | str = ""
    object_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "outcome": self.outcome, "detail": self.detail}


def _int(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if abs(value) <= MAX_DB_INT else None  # past it SQLite overflows


def team_users(pipeline: Pipeline) -> list[User]:
    """Active managers and heads of the pipeline's team: who may be given a task."""
    return list(User.objects.filter(team_id=pipeline.team_id, is_active=True,
                                    role__in=(Role.MANAGER, Role.HEAD)).order_by("id"))


def _user(raw: Any, pipeline: Pipeline, errors: dict, key: str) -> int | None:
    user_id = _int(raw)
    user = User.objects.filter(pk=user_id, is_active=True).exclude(
        role=Role.MARKETER).first() if user_id else None
    if user is None or not (user.is_admin or user.team_id == pipeline.team_id):
        errors[key] = _("Choose an active user of the pipeline's team.")
        return None
    return user.pk


def _due_error(unit: Any) -> str:
    """The due time's error in the unit the person typed it in (minutes by default)."""
    if unit == "days":
        return _("Enter whole days from 0 to a year.")
    if unit == "hours":
        return _("Enter whole hours from 0 to a year.")
    return _("Enter whole minutes from 0 to a year.")


def _clean_text(raw: dict, key: str, errors: dict) -> str:
    """A task's or notification's text: required, and its ``{{ … }}`` placeholders well
    formed and known (checked by the engine that fills them in)."""
    from voronka.integrations import rendering

    text = str(raw.get("text") or "").strip()[:2000]
    if not text:
        errors[key] = _("This field is required.")
        return text
    try:
        rendering.check(text, key)
    except ValidationError as exc:
        errors.update({k: " ".join(v) for k, v in exc.errors.items()})
    return text


def _clean_one(pipeline: Pipeline, raw: dict, key: str, errors: dict) -> dict[str, Any]:
    kind = raw.get("type")
    out: dict[str, Any] = {"type": kind}
    if kind == CREATE_TASK:
        out["text"] = _clean_text(raw, f"{key}.text", errors)
        out["kind"] = raw.get("kind") or TaskKind.OTHER
        if out["kind"] not in TaskKind.values:
            errors[f"{key}.kind"] = _("Unknown task kind.")
        due = _int(raw.get("due_minutes", 0))
        if due is None or not 0 <= due <= MAX_DUE_MINUTES:
            errors[f"{key}.due_minutes"] = _due_error(raw.get("due_unit"))
        out["due_minutes"] = due or 0
        out["assignee"] = raw.get("assignee") or "owner"
        if out["assignee"] not in ASSIGNEES:
            errors[f"{key}.assignee"] = _("Choose who gets the task.")
        if out["assignee"] == "user":
            out["user_id"] = _user(raw.get("user_id"), pipeline, errors, f"{key}.user_id")
    elif kind == SEND_EMAIL:
        from voronka.integrations.models import EmailTemplate

        template_id = _int(raw.get("template_id"))
        # Locked until the rule is saved: a template being deleted meanwhile waits for the
        # rule (and then sees it uses the template), or goes first and is not found here.
        found = EmailTemplate.objects.filter(
            Q(team_id=pipeline.team_id) | Q(team__isnull=True), pk=template_id, is_active=True)
        if transaction.get_connection().in_atomic_block:
            found = found.select_for_update()
        ok = bool(template_id) and found.values_list("pk", flat=True).first() is not None
        if not ok:
            errors[f"{key}.template_id"] = _("Choose an e-mail template.")
        out["template_id"] = template_id
        out["to"] = raw.get("to") or "contact"
        if out["to"] not in RECIPIENTS:
            errors[f"{key}.to"] = _("Choose who gets the e-mail.")
        if out["to"] == "address":
            from voronka.core.normalize import InvalidValue, normalize_email

            try:
                out["address"] = normalize_email(str(raw.get("address") or ""))
            except InvalidValue as exc:
                errors[f"{key}.address"] = str(exc)
    elif kind == NOTIFY:
        out["text"] = _clean_text(raw, f"{key}.text", errors)
        out["to"] = raw.get("to") or "owner"
        if out["to"] not in NOTIFY_TO:
            errors[f"{key}.to"] = _("Choose who is notified.")
        if out["to"] == "user":
            out["user_id"] = _user(raw.get("user_id"), pipeline, errors, f"{key}.user_id")
    elif kind == SET_FIELD:
        out.update(_clean_set_field(pipeline, raw, key, errors))
    elif kind == WEBHOOK:
        from voronka.integrations.selectors import webhooks_for

        sub_id = _int(raw.get("subscription_id"))
        if not sub_id or not webhooks_for(team_id=pipeline.team_id).filter(pk=sub_id).exists():
            errors[f"{key}.subscription_id"] = _("Choose a webhook.")
        out["subscription_id"] = sub_id
    elif kind != MOVE_NEXT:
        errors[f"{key}.type"] = _("Choose an action.")
    return out


def _clean_set_field(pipeline: Pipeline, raw: dict, key: str, errors: dict) -> dict[str, Any]:
    from voronka.deals.services import parse_money

    catalogue = conditions.field_catalogue(pipeline)
    field = str(raw.get("field") or "")
    value = raw.get("value")
    spec = catalogue.get(field)
    if spec is None or not (field in SETTABLE or spec.custom is not None):
        errors[f"{key}.field"] = _("Choose a field that can be set.")
        return {"field": field, "value": value}
    try:
        if field == "budget":
            value = str(parse_money(value, "value"))
        elif field == "owner":
            value = _user(value, pipeline, errors, f"{key}.value")
        elif spec.custom is not None or spec.kind == conditions.DATE:
            value = conditions._clean_value(spec, value, pipeline) \
                if value not in (None, "") else None
        else:
            value = str(value or "").strip()[:300]
            if field == "title" and not value:
                raise ValueError(_("This field is required."))
    except ValidationError as exc:
        errors[f"{key}.value"] = " ".join(exc.errors.get("value", [exc.message]))
    except ValueError as exc:
        errors[f"{key}.value"] = str(exc)
    return {"field": field, "value": value}


def clean(pipeline: Pipeline, raw: Any) -> list[dict[str, Any]]:
    """Validate a rule's list of actions; ValidationError names ``actions.<i>.<part>``."""
    if not isinstance(raw, list) or not raw:
        raise ValidationError({"actions": _("Add at least one action.")})
    if len(raw) > MAX_ACTIONS:
        raise ValidationError({"actions": _("At most %(n)d actions.") % {"n": MAX_ACTIONS}})
    errors: dict[str, str] = {}
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            errors[f"actions.{i}"] = _("Expected an action.")
            continue
        out.append(_clean_one(pipeline, item, f"actions.{i}", errors))
    if errors:
        raise ValidationError(errors)
    return out


def describe(action: dict[str, Any]) -> str:
    """One line for the settings screen and the run log."""
    label = str(TYPES.get(action.get("type"), action.get("type")))
    if action.get("type") in (CREATE_TASK, NOTIFY):
        return f"{label}: {action.get('text', '')[:80]}"
    if action.get("type") == SET_FIELD:
        return f"{label}: {action.get('field')} = {action.get('value')}"
    return label


def due_at(action: dict[str, Any]) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=int(action.get("due_minutes") or 0))


def round_robin_user(rule: Rule, pipeline: Pipeline) -> User | None:
    """The next of the team's managers in turn; the counter moves in the caller's transaction
    (an action that rolls back does not use up a turn)."""
    locked = Rule.objects.select_for_update().get(pk=rule.pk)
    people = [u for u in team_users(pipeline) if u.role == Role.MANAGER] or team_users(pipeline)
    if not people:
        return None
    user = people[locked.rr_counter % len(people)]
    Rule.objects.filter(pk=rule.pk).update(rr_counter=locked.rr_counter + 1)
    return user
