"""Write use cases for automation rules (same permission as the pipeline's settings)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.core.errors import PermissionDenied, ValidationError
from voronka.deals.visibility import can_manage_pipeline
from voronka.pipelines.models import Pipeline, Stage

from . import actions, conditions
from .models import Rule, RuleRun, Trigger
from .tasks import schedule_rule
from .triggers import STAGE_TRIGGERS, TIME_TRIGGERS

MAX_HOURS = 24 * 366


def _manage(actor: User | None, pipeline: Pipeline) -> None:
    if not can_manage_pipeline(actor, pipeline):
        raise PermissionDenied(_("Only an administrator or the team's head can change this "
                                 "pipeline's automation."))


def _int(raw: Any) -> int:
    try:
        return int(str(raw).strip())
    except ValueError:
        return 0


def _clean(pipeline: Pipeline, spec: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    name = (spec.get("name") or "").strip()
    if not name:
        errors["name"] = _("This field is required.")
    elif len(name) > 200:
        errors["name"] = _("At most %(n)d characters.") % {"n": 200}
    out["name"] = name
    trigger = spec.get("trigger")
    if trigger not in Trigger.values:
        errors["trigger"] = _("Choose a trigger.")
    out["trigger"] = trigger
    stage = spec.get("stage") if trigger in STAGE_TRIGGERS else None
    if stage in (None, ""):
        stage = None
    elif not isinstance(stage, Stage):
        stage = Stage.objects.filter(pk=_int(stage), pipeline=pipeline).first()
        if stage is None:
            errors["stage"] = _("Choose a stage of this pipeline.")
    elif stage.pipeline_id != pipeline.pk:
        errors["stage"] = _("Choose a stage of this pipeline.")
        stage = None
    out["stage"] = stage
    hours = spec.get("hours")
    if hours in (None, "", 0, "0"):
        hours = None
    else:
        try:
            hours = int(str(hours).strip())
        except ValueError:
            hours = -1
        if not 0 < hours <= MAX_HOURS:
            errors["hours"] = _("Enter whole hours from 1 to %(max)d.") % {"max": MAX_HOURS}
    if trigger == Trigger.TIME_IN_STAGE and hours is None and stage is not None \
            and not stage.time_limit_hours:
        errors["hours"] = _("The stage has no time limit: enter the hours.")
    out["hours"] = hours if trigger == Trigger.TIME_IN_STAGE else None
    field = (spec.get("field") or "").strip()
    if trigger == Trigger.FIELD_CHANGED and field \
            and field not in conditions.field_catalogue(pipeline):
        errors["field"] = _("Choose a field of this pipeline.")
    out["field"] = field if trigger == Trigger.FIELD_CHANGED else ""
    out["match"] = spec.get("match") or Rule.Match.ALL
    if out["match"] not in Rule.Match.values:
        errors["match"] = _("Choose all or any.")
    for key, clean in (("conditions", lambda: conditions.clean(pipeline,
                                                               spec.get("conditions") or [])),
                       ("actions", lambda: actions.clean(pipeline, spec.get("actions")))):
        try:
            out[key] = clean()
        except ValidationError as exc:
            errors.update({k: " ".join(v) for k, v in exc.errors.items()})
    if errors:
        raise ValidationError(errors)
    out["is_active"] = bool(spec.get("is_active", True))
    return out


def _after_save(rule: Rule) -> None:
    if rule.is_active and rule.trigger in TIME_TRIGGERS:
        schedule_rule.enqueue(rule.pk)


@transaction.atomic
def rule_create(*, actor: User | None, pipeline: Pipeline, **spec: Any) -> Rule:
    """Create a rule: ``name``, ``trigger``, ``stage``, ``hours``, ``field``, ``match``,
    ``conditions`` (list), ``actions`` (list), ``is_active``."""
    _manage(actor, pipeline)
    fields = _clean(pipeline, spec)
    position = (Rule.objects.filter(pipeline=pipeline).aggregate(m=Max("position"))["m"]
                or 0) + 1
    rule = Rule.objects.create(pipeline=pipeline, position=position, created_by=actor,
                               **fields)
    _after_save(rule)
    return rule


@transaction.atomic
def rule_update(*, actor: User | None, rule: Rule, **spec: Any) -> Rule:
    """Replace a rule's definition (the same fields as ``rule_create``)."""
    _manage(actor, rule.pipeline)
    fields = _clean(rule.pipeline, spec)
    for key, value in fields.items():
        setattr(rule, key, value)
    rule.updated_at = timezone.now()
    rule.save()
    _after_save(rule)
    return rule


@transaction.atomic
def rule_set_active(*, actor: User | None, rule: Rule, is_active: bool) -> Rule:
    _manage(actor, rule.pipeline)
    if rule.is_active != bool(is_active):
        rule.is_active = bool(is_active)
        rule.updated_at = timezone.now()
        rule.save(update_fields=["is_active", "updated_at"])
        _after_save(rule)
    return rule


@transaction.atomic
def rule_delete(*, actor: User | None, rule: Rule) -> None:
    """Delete a rule. Its runs stay, with its name, in the history of the deals it acted on
    (what it did is history: the timeline keeps saying which automation did it)."""
    _manage(actor, rule.pipeline)
    RuleRun.objects.filter(rule=rule).update(rule_name=rule.name)
    rule.delete()  # the runs' link is set to null
