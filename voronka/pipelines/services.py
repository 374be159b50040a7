"""Write use cases for pipelines, stages, exit requirements, loss reasons and custom fields."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from voronka.accounts.models import Team, User
from voronka.core.errors import PermissionDenied, ValidationError
from voronka.deals.gates import BUILTIN_FIELDS
from voronka.deals.visibility import can_manage_pipeline

from .models import CustomField, LossReason, Pipeline, Stage, StageRequirement

Kind = StageRequirement.Kind


def _manage(actor: User | None, pipeline: Pipeline) -> None:
    if not can_manage_pipeline(actor, pipeline):
        raise PermissionDenied(_("Only an administrator or the team's head can change this "
                                 "pipeline."))


def _name(value: str, field: str = "name", limit: int = 200) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > limit:
        raise ValidationError({field: _("At most %(n)d characters.") % {"n": limit}})
    return value


@transaction.atomic
def pipeline_create(*, actor: User | None, team: Team, name: str,
                    stages: list[dict[str, Any]] | None = None,
                    loss_reasons: list[str] | None = None) -> Pipeline:
    """Create a pipeline, optionally with its stages ({"name", "goal", …}) and loss reasons."""
    if actor is not None and not (actor.is_admin or (actor.is_head and actor.team_id == team.pk)):
        raise PermissionDenied(_("Only an administrator or the team's head can add pipelines."))
    name = _name(name)
    if Pipeline.objects.filter(team=team, name__iexact=name).exists():
        raise ValidationError({"name": _("The team already has a pipeline with this name.")})
    position = (Pipeline.objects.aggregate(m=Max("position"))["m"] or 0) + 1
    pipeline = Pipeline.objects.create(team=team, name=name, position=position)
    for i, spec in enumerate(stages or []):
        with _errors_under(f"stages.{i}"):
            stage_create(actor=actor, pipeline=pipeline, **spec)
    for i, reason in enumerate(loss_reasons or []):
        with _errors_under(f"loss_reasons.{i}", whole=True):
            loss_reason_create(actor=actor, pipeline=pipeline, name=reason)
    return pipeline


@contextmanager
def _errors_under(prefix: str, *, whole: bool = False) -> Iterator[None]:
    """Name a nested item's errors by its place ("loss_reasons.1"; "stages.0.name"), so the
    caller's form shows them on the list they came from."""
    try:
        yield
    except ValidationError as exc:
        raise ValidationError({prefix if whole else f"{prefix}.{name}": messages
                               for name, messages in exc.errors.items()}) from exc


@transaction.atomic
def pipeline_update(*, actor: User | None, pipeline: Pipeline, name: str) -> Pipeline:
    """Rename a pipeline; its deals, stages and history stay as they are."""
    _manage(actor, pipeline)
    name = _name(name)
    if Pipeline.objects.filter(team=pipeline.team_id, name__iexact=name).exclude(
            pk=pipeline.pk).exists():
        raise ValidationError({"name": _("The team already has a pipeline with this name.")})
    pipeline.name = name
    pipeline.save(update_fields=["name"])
    return pipeline


def _clean_stage_fields(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in fields:
        out["name"] = _name(fields["name"])
    if "goal" in fields:
        out["goal"] = (fields["goal"] or "").strip()[:500]
    if "time_limit_hours" in fields:
        value = fields["time_limit_hours"]
        if value in (None, "", 0):
            out["time_limit_hours"] = None
        elif isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 24 * 365:
            out["time_limit_hours"] = value
        else:
            raise ValidationError({"time_limit_hours": _("Enter whole hours from 1 to 8760.")})
    if "probability" in fields:
        value = fields["probability"]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            raise ValidationError({"probability": _("Enter a percentage from 0 to 100.")})
        out["probability"] = value
    return out


@transaction.atomic
def stage_create(*, actor: User | None, pipeline: Pipeline, name: str, goal: str = "",
                 time_limit_hours: int | None = None, probability: int = 0,
                 position: int | None = None,
                 requirements: list[dict[str, Any]] | None = None) -> Stage:
    """Add a stage at the end (or at ``position``, shifting later stages)."""
    _manage(actor, pipeline)
    fields = _clean_stage_fields({"name": name, "goal": goal, "probability": probability,
                                  "time_limit_hours": time_limit_hours})
    stages = list(Stage.objects.select_for_update().filter(pipeline=pipeline)
                  .order_by("position", "id"))
    _unique_stage_name(stages, fields["name"])
    index = len(stages) if position is None else max(0, min(position, len(stages)))
    stage = Stage(pipeline=pipeline, position=index, **fields)
    stages.insert(index, stage)
    stage.save()
    _renumber(stages)
    for spec in requirements or []:
        requirement_create(actor=actor, stage=stage, **spec)
    return stage


def _unique_stage_name(stages: list[Stage], name: str, exclude: int | None = None) -> None:
    """Two stages of one name make the board, the stage bar and "Move to…" ambiguous."""
    if any(s.name.casefold() == name.casefold() for s in stages if s.pk != exclude):
        raise ValidationError({"name": _("The pipeline already has a stage with this name.")})


def _renumber(stages: list[Stage]) -> None:
    for i, stage in enumerate(stages):
        if stage.position != i:
            stage.position = i
            Stage.objects.filter(pk=stage.pk).update(position=i)


@transaction.atomic
def stage_update(*, actor: User | None, stage: Stage, **changes: Any) -> Stage:
    _manage(actor, stage.pipeline)
    unknown = set(changes) - {"name", "goal", "time_limit_hours", "probability"}
    if unknown:
        raise ValidationError({n: _("This field cannot be changed here.") for n in unknown})
    fields = _clean_stage_fields(changes)
    if "name" in fields and fields["name"].casefold() != stage.name.casefold():
        # Locked as stage_create locks them: two renames at once cannot both pass.
        _unique_stage_name(list(Stage.objects.select_for_update().filter(
            pipeline=stage.pipeline_id)), fields["name"], exclude=stage.pk)
    for name, value in fields.items():
        setattr(stage, name, value)
    stage.save()
    return stage


@transaction.atomic
def stage_reorder(*, actor: User | None, pipeline: Pipeline, stage_ids: list[int]) -> None:
    """Set the stage order. Deals stay on their stages; only the order of the funnel changes."""
    _manage(actor, pipeline)
    stages = {s.pk: s for s in Stage.objects.select_for_update().filter(pipeline=pipeline)}
    if sorted(stage_ids) != sorted(stages):
        raise ValidationError({"stage_ids": _("List every stage of the pipeline once.")})
    _renumber([stages[pk] for pk in stage_ids])


@transaction.atomic
def stage_delete(*, actor: User | None, stage: Stage) -> None:
    _manage(actor, stage.pipeline)
    from voronka.deals.models import Deal, Transition

    if Deal.objects.filter(stage=stage).exists() or Transition.objects.filter(
            to_stage=stage).exists():
        raise ValidationError({"stage": _("The stage has deals or history; it cannot be "
                                          "deleted.")})
    pipeline = stage.pipeline
    stage.delete()
    _renumber(list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id")))


def _share(value: Any) -> Decimal:
    try:
        share = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"payment_share": _("Enter a share from 0.001 to 1.")}) from exc
    if not share.is_finite() or not Decimal("0.001") <= share <= 1:
        raise ValidationError({"payment_share": _("Enter a share from 0.001 to 1.")})
    return share


@transaction.atomic
def requirement_create(*, actor: User | None, stage: Stage, kind: str, field_name: str = "",
                       custom_field: CustomField | str | None = None, task_kind: str = "",
                       payment_share: Any = None, fact_name: str = "") -> StageRequirement:
    """Add an exit requirement to a stage; each kind names what it needs."""
    from voronka.activities.models import TaskKind

    _manage(actor, stage.pipeline)
    req = StageRequirement(stage=stage, kind=kind)
    if kind == Kind.FIELD_FILLED:
        if isinstance(custom_field, str):
            custom_field = CustomField.objects.filter(pipeline=stage.pipeline_id,
                                                      code=custom_field).first()
            if custom_field is None:
                raise ValidationError({"custom_field": _("No such field in this pipeline.")})
        if custom_field is not None:
            if custom_field.pipeline_id != stage.pipeline_id:
                raise ValidationError({"custom_field": _("No such field in this pipeline.")})
            req.custom_field = custom_field
        elif field_name in BUILTIN_FIELDS:
            req.field_name = field_name
        else:
            raise ValidationError({"field_name": _("Choose a deal field.")})
    elif kind == Kind.TASK_COMPLETED:
        if task_kind not in TaskKind.values:
            raise ValidationError({"task_kind": _("Unknown task kind.")})
        req.task_kind = task_kind
    elif kind == Kind.PAYMENT_RECEIVED:
        req.payment_share = _share(payment_share if payment_share is not None else 1)
    elif kind == Kind.FACT_CONFIRMED:
        req.fact_name = _name(fact_name, "fact_name")
    elif kind not in (Kind.CONTACT_ATTACHED, Kind.COMPANY_ATTACHED):
        raise ValidationError({"kind": _("Unknown requirement kind.")})
    req.position = (stage.requirements.aggregate(m=Max("position"))["m"] or 0) + 1
    req.save()
    return req


@transaction.atomic
def requirement_delete(*, actor: User | None, requirement: StageRequirement) -> None:
    _manage(actor, requirement.stage.pipeline)
    requirement.delete()


@transaction.atomic
def loss_reason_create(*, actor: User | None, pipeline: Pipeline, name: str) -> LossReason:
    _manage(actor, pipeline)
    name = _name(name)
    if LossReason.objects.filter(pipeline=pipeline, name__iexact=name).exists():
        raise ValidationError({"name": _("This reason already exists.")})
    position = (pipeline.loss_reasons.aggregate(m=Max("position"))["m"] or 0) + 1
    return LossReason.objects.create(pipeline=pipeline, name=name, position=position)


@transaction.atomic
def loss_reason_update(*, actor: User | None, reason: LossReason, name: str | None = None,
                       is_active: bool | None = None) -> LossReason:
    """Rename a reason, or retire it (``is_active=False``): a retired reason is no longer
    offered when archiving, while the deals lost for it keep it in their history and
    reports. A reason is never deleted for that reason."""
    _manage(actor, reason.pipeline)
    if name is not None:
        name = _name(name)
        if LossReason.objects.filter(pipeline=reason.pipeline_id, name__iexact=name).exclude(
                pk=reason.pk).exists():
            raise ValidationError({"name": _("This reason already exists.")})
        reason.name = name
    if is_active is not None:
        reason.is_active = is_active
    reason.save(update_fields=["name", "is_active"])
    return reason


def _clean_choices(kind: str, choices: list[str] | None) -> list[str]:
    clean = [str(c).strip() for c in (choices or []) if str(c).strip()]
    if kind == CustomField.Kind.CHOICE and not clean:
        raise ValidationError({"choices": _("A choice field needs at least one choice.")})
    return clean


def _unique_field_name(pipeline: Pipeline, name: str, exclude: int | None = None) -> str:
    name = _name(name)
    others = pipeline.custom_fields.exclude(pk=exclude).values_list("name", flat=True)
    if any(other.casefold() == name.casefold() for other in others):
        raise ValidationError({"name": _("The pipeline already has a field with this name.")})
    return name


@transaction.atomic
def custom_field_update(*, actor: User | None, field: CustomField, name: str,
                        choices: list[str] | None = None) -> CustomField:
    """Rename a field or change its choices. Its code and type stay: forms, imports, the
    API and capture channels refer to the code, and stored values are of the type. A value
    a deal already holds stays even if its choice is gone."""
    _manage(actor, field.pipeline)
    field.name = _unique_field_name(field.pipeline, name, exclude=field.pk)
    if field.kind == CustomField.Kind.CHOICE:
        field.choices = _clean_choices(field.kind, choices)
    field.save(update_fields=["name", "choices"])
    return field


@transaction.atomic
def custom_field_create(*, actor: User | None, pipeline: Pipeline, name: str, kind: str,
                        code: str = "", choices: list[str] | None = None) -> CustomField:
    _manage(actor, pipeline)
    name = _unique_field_name(pipeline, name)
    if kind not in CustomField.Kind.values:
        raise ValidationError({"kind": _("Unknown field type.")})
    given = bool(code)
    code = slugify(code or name).replace("-", "_")[:60]
    if given and not code:  # "поле", "!!!": nothing of it is a code
        raise ValidationError({"code": _("Use Latin letters, digits and _.")})
    taken = set(pipeline.custom_fields.values_list("code", flat=True))
    if given and code in taken:
        raise ValidationError({"code": _("The pipeline already has a field with this code.")})
    if not given:
        # A Cyrillic name slugifies to nothing; a name's slug may be another field's code.
        if not code or code in taken:
            base, n = (code[:55], 2) if code else ("field", len(taken) + 1)
            code = f"{base}_{n}"
            while code in taken:
                n += 1
                code = f"{base}_{n}"
    clean_choices = _clean_choices(kind, choices)
    position = (pipeline.custom_fields.aggregate(m=Max("position"))["m"] or 0) + 1
    return CustomField.objects.create(pipeline=pipeline, name=name, kind=kind, code=code,
                                      choices=clean_choices, position=position)
