"""The rule editor's form: POST fields ⇄ the rule spec the services take, with errors placed
on the row and part they name. Rows are numbered (``cond-0-field``, ``act-1-text``…); a row
with its "remove" box ticked is dropped. No business rule here: the services validate."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from voronka.core.numbers import parse_int

from .models import Rule

TOP = ("name", "trigger", "stage", "hours", "field", "match")
COND_PARTS = ("field", "op", "value")
ACT_PARTS = ("type", "text", "kind", "due_value", "due_unit", "assignee", "user_id",
             "template_id", "to", "address", "field", "value", "subscription_id")
UNITS = {"minutes": 1, "hours": 60, "days": 1440}
MAX_ROWS = 30


def _rows(post: QueryDict, prefix: str, parts: tuple[str, ...]) -> list[dict[str, Any]]:
    indexes = sorted({i for k in post if k.startswith(prefix + "-")
                      if (i := parse_int(k.split("-")[1], maximum=10_000)) is not None})
    rows = []
    for i in indexes[:MAX_ROWS]:
        if post.get(f"{prefix}-{i}-remove"):
            continue
        row = {part: post.get(f"{prefix}-{i}-{part}", "").strip() for part in parts}
        if any(row.values()):
            rows.append(row)
    return rows


def parse(post: QueryDict) -> dict[str, Any]:
    """The editor's state from a POST (plain strings, as typed)."""
    state: dict[str, Any] = {name: post.get(name, "").strip() for name in TOP}
    state["is_active"] = bool(post.get("is_active"))
    state["conditions"] = _rows(post, "cond", COND_PARTS)
    state["actions"] = _rows(post, "act", ACT_PARTS)
    return state


def _due(action: dict[str, Any]) -> dict[str, str]:
    minutes = int(action.get("due_minutes") or 0)
    for unit in ("days", "hours"):
        if minutes and minutes % UNITS[unit] == 0:
            return {"due_value": str(minutes // UNITS[unit]), "due_unit": unit}
    return {"due_value": str(minutes), "due_unit": "minutes"}


def initial(rule: Rule | None) -> dict[str, Any]:
    """The editor's state for an existing rule (or a blank new one)."""
    if rule is None:
        return {"name": "", "trigger": "stage_entered", "stage": "", "hours": "", "field": "",
                "match": "all", "is_active": True, "conditions": [],
                "actions": [{"type": "create_task", "assignee": "owner", "kind": "call",
                             "due_value": "1", "due_unit": "days"}]}
    actions = []
    for action in rule.actions:
        row = {part: "" if action.get(part) is None else str(action.get(part))
               for part in ACT_PARTS}
        if action.get("type") == "create_task":
            row.update(_due(action))
        actions.append(row)
    return {
        "name": rule.name, "trigger": rule.trigger, "stage": str(rule.stage_id or ""),
        "hours": str(rule.hours or ""), "field": rule.field, "match": rule.match,
        "is_active": rule.is_active,
        "conditions": [{part: "" if c.get(part) is None else str(c.get(part))
                        for part in COND_PARTS} for c in rule.conditions],
        "actions": actions,
    }


def to_spec(state: dict[str, Any]) -> dict[str, Any]:
    """What ``rule_create`` / ``rule_update`` take."""
    actions = []
    for row in state["actions"]:
        action = {k: v for k, v in row.items() if v != "" and k not in ("due_value", "due_unit",
                                                                        "errors")}
        if row.get("type") == "create_task":
            try:
                value = int(row.get("due_value") or 0)
            except ValueError:
                value = -1
            unit = row.get("due_unit") if row.get("due_unit") in UNITS else "minutes"
            action["due_minutes"] = value * UNITS[unit] if value >= 0 else -1
            action["due_unit"] = unit  # so that an error names the unit typed in
        actions.append(action)
    return {
        "name": state["name"], "trigger": state["trigger"], "stage": state["stage"] or None,
        "hours": state["hours"] or None, "field": state["field"], "match": state["match"],
        "is_active": state["is_active"],
        "conditions": [{k: v for k, v in row.items() if k != "errors"}
                       for row in state["conditions"]],
        "actions": actions,
    }


def place_errors(state: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Attach row errors to their rows; return the errors of the rule's own fields."""
    top: dict[str, list[str]] = {}
    for key, messages in errors.items():
        parts = key.split(".")
        if parts[0] in ("conditions", "actions") and len(parts) >= 2 \
                and parse_int(parts[1]) is not None:
            rows = state[parts[0]]
            index = int(parts[1])
            if index < len(rows):
                part = parts[2] if len(parts) > 2 else "type"
                if part == "due_minutes":
                    part = "due_value"
                rows[index].setdefault("errors", {})[part] = messages
                continue
        top.setdefault(parts[0], []).extend(messages)
    return top
