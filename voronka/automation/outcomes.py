"""What a rule's action did, stored as data and put into words when it is shown.

The worker has no reader: it runs in the server's language and time zone. So a run's log
keeps codes and values (``{"code": "task_created", "assignee": "Ольга Орлова", "due":
"2026-11-24T16:29:00+00:00"}``) and the page turns them into a sentence in the reader's
language, with the date in the reader's time zone and Django's localised format. Runs logged
before the codes hold a plain string: it is shown as it is.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

# Codes of the details (what an action did, or why it did not).
TASK_CREATED, EMAIL_QUEUED, NOTIFIED, FIELD_SET, MOVED, WON, WEBHOOK_QUEUED = (
    "task_created", "email_queued", "notified", "field_set", "moved", "won", "webhook_queued")
ALREADY, UNKNOWN_ACTION, NO_ASSIGNEE, TEMPLATE_GONE, NO_CONTACT_EMAIL, NOBODY_TO_NOTIFY = (
    "already", "unknown_action", "no_assignee", "template_gone", "no_contact_email",
    "nobody_to_notify")
WEBHOOK_GONE, KEPT_CHANGING, GATE_REFUSED, ERROR = (
    "webhook_gone", "kept_changing", "gate_refused", "error")
# Codes of a run's reason for not acting (loop protection).
LOOP_SELF, LOOP_DEPTH, LOOP_RATE = "loop_self", "loop_depth", "loop_rate"


def detail(code: str, **values: Any) -> dict[str, Any]:
    """A detail to store: its code and its values (plain JSON: text, numbers, ISO times)."""
    return {"code": code, **values}


def when(iso: str) -> str:
    """A stored ISO time in the reader's time zone and language ("24.11.2026 19:29")."""
    moment = datetime.datetime.fromisoformat(iso)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _in_language(texts: dict[str, str]) -> str:
    """One of a fact's texts (kept in every UI language): the reader's, else any."""
    lang = (translation.get_language() or "ru")[:2]
    return texts.get(lang) or next((t for t in texts.values() if t), "")


def _gate_refused(d: dict[str, Any]) -> str:
    head = (_("The deal cannot be won until the last stage's facts hold.") if d.get("win")
            else _("The deal cannot leave the stage until its facts hold."))
    missing = "; ".join(t for t in (_in_language(m) for m in d.get("missing") or []
                                    if isinstance(m, dict)) if t)
    return f"{head} {missing}".strip()


_TEXTS: dict[str, Callable[[dict[str, Any]], str]] = {
    TASK_CREATED: lambda d: _("Task for %(user)s, due %(due)s") % {
        "user": d["assignee"], "due": when(d["due"])},
    EMAIL_QUEUED: lambda d: _("“%(subject)s” to %(to)s") % {"subject": d["subject"],
                                                             "to": d["to"]},
    NOTIFIED: lambda d: ", ".join(d.get("users") or []),
    FIELD_SET: lambda d: f"{d['field']} = {d['value']}",
    MOVED: lambda d: f"{d['from']} → {d['to']}",
    WON: lambda d: _("Deal won"),
    WEBHOOK_QUEUED: lambda d: d["url"],
    ALREADY: lambda d: _("Done by an earlier attempt."),
    UNKNOWN_ACTION: lambda d: _("Unknown action."),
    NO_ASSIGNEE: lambda d: _("Nobody to give the task to."),
    TEMPLATE_GONE: lambda d: _("The e-mail template is gone."),
    NO_CONTACT_EMAIL: lambda d: _("The deal's contact has no e-mail."),
    NOBODY_TO_NOTIFY: lambda d: _("Nobody to notify."),
    WEBHOOK_GONE: lambda d: _("The webhook is gone, switched off or another team's."),
    KEPT_CHANGING: lambda d: _("The deal kept changing; try again later."),
    GATE_REFUSED: _gate_refused,
    # A service's refusal: its message, as the service worded it when the rule ran.
    ERROR: lambda d: d.get("text", ""),
    LOOP_SELF: lambda d: _("The rule was triggered by its own actions; it does not run "
                           "again in the same chain."),
    LOOP_DEPTH: lambda d: _("A chain of %(n)d rules triggering each other was stopped.") % {
        "n": d["n"]},
    LOOP_RATE: lambda d: _("The rule ran more than %(n)d times in an hour for this deal.") % {
        "n": d["n"]},
}


def detail_text(value: Any) -> str:
    """A stored detail in words, in the active language and time zone. Plain text (a run
    logged before the codes) is returned as it is; a detail that cannot be read, empty."""
    if not value:
        return ""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return str(value)
    render = _TEXTS.get(value.get("code"))
    if render is None:
        return str(value.get("text") or "")
    try:
        return str(render(value))
    except (KeyError, TypeError, ValueError):
        return str(value.get("text") or "")


def reason_text(reason: Any) -> str:
    """A run's stored reason for not acting, in words (empty when it has none)."""
    return detail_text(reason) if reason else ""


def labelled(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A run's action log for display: each action's label, its outcome's label and its
    detail in words (``detail``); a coded detail is also kept as data (``data``)."""
    from .actions import TYPES

    outcomes = {"done": _("done"), "already": _("already done"), "refused": _("refused"),
                "failed": _("failed")}
    out = []
    for item in log or []:
        if not isinstance(item, dict):
            continue
        raw = item.get("detail")
        row = {**item, "label": str(TYPES.get(item.get("type"), item.get("type"))),
               "outcome_label": str(outcomes.get(item.get("outcome"), item.get("outcome"))),
               "detail": detail_text(raw)}
        if isinstance(raw, dict):
            row["data"] = raw
        out.append(row)
    return out
