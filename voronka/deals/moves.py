"""Stage changes: move (advance/skip), win, archive (lose), reopen, admin correction.

Each runs in one transaction, locks the deal row, checks the version the caller read, checks
the gates, writes one Transition and updates the deal. Two callers moving the same deal at
once: the second sees a new version and gets Conflict, never a second transition.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.core import events
from voronka.core.audit import record_changes
from voronka.core.errors import (
    Conflict,
    GateRefused,
    MoveRefused,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from voronka.pipelines.models import LossReason, Stage, StageRequirement

from . import gates, transition_log
from .models import Deal, Transition
from .visibility import can_edit_deal


def lock_for_change(deal: Deal, actor: User | None, expected_version: int | None) -> Deal:
    """Re-read the deal under a row lock and check the caller's view of it is current."""
    # No join in the locking read: on PostgreSQL a row changed by the lock holder (its stage,
    # its owner) is re-checked against the joined rows of its old version and silently
    # dropped, which reads as "not found" to every waiting mover. A head's permission check
    # loads the pipeline and the owner afterwards.
    locked = gates.deal_locked(deal.pk)
    if locked is None:
        raise NotFound(_("Deal not found."))
    if not can_edit_deal(actor, locked):
        raise PermissionDenied(_("You may not change this deal."))
    expected = deal.version if expected_version is None else expected_version
    if locked.version != expected:
        raise Conflict(
            _("The deal was changed by someone else; reload it and try again."),
            current_version=locked.version,
            current_stage_id=locked.stage_id,
        )
    return locked


def _adopt_stage(deal: Deal, stages: list[Stage]) -> None:
    # The deal's stage is taken from the list, so the lock query needs no join for it.
    for stage in stages:
        if stage.pk == deal.stage_id:
            deal.stage = stage


def _stages(deal: Deal) -> list[Stage]:
    stages, _requirements = gates.pipeline_layout(deal.pipeline_id)
    _adopt_stage(deal, stages)
    return stages


def _layout(deal: Deal) -> tuple[list[Stage], dict[int, list[StageRequirement]], gates.Facts]:
    """The stages in order, their exit requirements and the deal's facts, in one query read
    after the row lock (bench/moves.py: separate queries cost more than the rest of a move)."""
    stages, requirements, facts = gates.deal_layout(deal)
    _adopt_stage(deal, stages)
    return stages, requirements, facts


def _index(stages: list[Stage], stage_id: int) -> int:
    for i, stage in enumerate(stages):
        if stage.pk == stage_id:
            return i
    raise ValidationError({"to_stage": _("The stage is not in the deal's pipeline.")})


def _now(at: datetime | None) -> datetime:
    """The time of the move: now, or a past time given by a trusted caller (demo, import).
    No view or API endpoint passes ``at``."""
    return timezone.now() if at is None else at


def _require_open(deal: Deal) -> None:
    if deal.status != Deal.Status.OPEN:
        raise MoveRefused(_("The deal is closed; reopen it first."))


def _check_gates(deal: Deal, stages: list[Stage],
                 requirements: dict[int, list[StageRequirement]], facts: gates.Facts,
                 message: str) -> None:
    missing = gates.missing_facts(deal, stages, requirements, facts)
    if missing:
        raise GateRefused(message, missing)


def _write(
    deal: Deal,
    *,
    kind: str,
    to_stage: Stage,
    actor: User | None,
    now,
    stages,
    seconds: int | None = None,
    comment: str = "",
    silent: frozenset = frozenset(),
    hints: dict | None = None,
    **deal_fields,
) -> Transition:
    """Append the transition and apply the deal's new state, bumping its version."""
    if seconds is None:
        seconds = max(0, int((now - deal.stage_entered_at).total_seconds()))
    tr = Transition(
        deal=deal,
        pipeline_id=deal.pipeline_id,
        kind=kind,
        from_stage=deal.stage,
        to_stage=to_stage,
        at=now,
        by=actor,
        seconds_in_stage=seconds,
        owner_id=deal.owner_id,
        loss_reason=deal_fields.get("loss_reason"),
        comment=comment,
    )
    positions = {s.pk: i for i, s in enumerate(stages)}
    furthest = deal.furthest_stage_id
    if kind != Transition.Kind.CORRECTION and positions[to_stage.pk] > positions.get(furthest, -1):
        furthest = to_stage.pk
    updates = {
        "stage_id": to_stage.pk,
        "furthest_stage_id": furthest,
        "version": deal.version + 1,
        **deal_fields,
    }
    if to_stage.pk != deal.stage_id or kind == Transition.Kind.REOPEN:
        updates["stage_entered_at"] = now
    transition_log.append(tr, deal_id=deal.pk, updates=updates)
    for name, value in updates.items():
        setattr(deal, name, value)
    deal.stage = to_stage
    events.publish_transition(deal=deal, transition=tr, actor=actor, silent=silent,
                              hints=hints)
    return tr


@transaction.atomic
def deal_move(
    *,
    deal: Deal,
    to_stage: Stage,
    actor: User | None,
    expected_version: int | None = None,
    comment: str = "",
    at: datetime | None = None,
) -> Transition:
    """Move forward to ``to_stage``: the facts of the current and every skipped stage must hold."""
    locked = lock_for_change(deal, actor, expected_version)
    _require_open(locked)
    stages, requirements, facts = _layout(locked)
    here, there = _index(stages, locked.stage_id), _index(stages, to_stage.pk)
    if there == here:
        raise MoveRefused(_("The deal is already on this stage."))
    if there < here:
        raise MoveRefused(
            _(
                "A funnel has no way back: a deal cannot return to an earlier "
                "stage. An administrator can make a correction."
            )
        )
    _check_gates(
        locked,
        stages[here:there],
        requirements,
        facts,
        _("The deal cannot leave the stage until its facts hold."),
    )
    kind = Transition.Kind.ADVANCE if there == here + 1 else Transition.Kind.SKIP
    tr = _write(
        locked,
        kind=kind,
        to_stage=stages[there],
        actor=actor,
        now=_now(at),
        stages=stages,
        comment=comment,
        silent=facts.silent,
        hints=facts.hints,
    )
    _refresh(deal, locked)
    return tr


@transaction.atomic
def deal_win(
    *,
    deal: Deal,
    actor: User | None,
    expected_version: int | None = None,
    comment: str = "",
    at: datetime | None = None,
) -> Transition:
    """Close as won: the facts of the current stage and every later one must hold."""
    locked = lock_for_change(deal, actor, expected_version)
    _require_open(locked)
    stages, requirements, facts = _layout(locked)
    here = _index(stages, locked.stage_id)
    _check_gates(
        locked,
        stages[here:],
        requirements,
        facts,
        _("The deal cannot be won until the last stage's facts hold."),
    )
    now = _now(at)
    tr = _write(
        locked,
        kind=Transition.Kind.WON,
        to_stage=stages[-1],
        actor=actor,
        now=now,
        stages=stages,
        comment=comment,
        silent=facts.silent,
        hints=facts.hints,
        status=Deal.Status.WON,
        closed_at=now,
    )
    _refresh(deal, locked)
    return tr


@transaction.atomic
def deal_archive(
    *,
    deal: Deal,
    actor: User | None,
    reason: LossReason | None,
    comment: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Transition:
    """Close as lost with a reason; the deal keeps the stage it was lost on."""
    locked = lock_for_change(deal, actor, expected_version)
    _require_open(locked)
    if reason is None:
        raise ValidationError({"reason": _("Choose the reason the deal is lost.")})
    if reason.pipeline_id != locked.pipeline_id or not reason.is_active:
        raise ValidationError({"reason": _("This reason does not belong to the deal's pipeline.")})
    stages, now = _stages(locked), _now(at)
    tr = _write(
        locked,
        kind=Transition.Kind.LOST,
        to_stage=locked.stage,
        actor=actor,
        now=now,
        stages=stages,
        comment=comment,
        status=Deal.Status.LOST,
        closed_at=now,
        loss_reason=reason,
        loss_comment=comment,
    )
    _refresh(deal, locked)
    return tr


@transaction.atomic
def deal_reopen(
    *,
    deal: Deal,
    actor: User | None,
    comment: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Transition:
    """Return a closed deal to the stage it left. Reopening a won deal takes a head or admin."""
    locked = lock_for_change(deal, actor, expected_version)
    if locked.status == Deal.Status.OPEN:
        raise MoveRefused(_("The deal is already open."))
    if (
        locked.status == Deal.Status.WON
        and actor is not None
        and not (actor.is_admin or actor.is_head)
    ):
        raise PermissionDenied(_("Only a head of sales or an administrator can reopen a won deal."))
    stages = _stages(locked)
    # Time spent in the archive is not time in a stage.
    tr = _write(
        locked,
        kind=Transition.Kind.REOPEN,
        to_stage=locked.stage,
        actor=actor,
        now=_now(at),
        stages=stages,
        seconds=0,
        comment=comment,
        status=Deal.Status.OPEN,
        closed_at=None,
        loss_reason=None,
        loss_comment="",
    )
    _refresh(deal, locked)
    return tr


@transaction.atomic
def deal_correct(
    *,
    deal: Deal,
    to_stage: Stage,
    actor: User,
    reason: str,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Transition:
    """An administrator's backward correction of a mistaken move: audited, with a reason."""
    if actor is None or not actor.is_admin:  # see visibility.can_correct_deal
        raise PermissionDenied(_("Only an administrator can correct a deal's stage."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the stage is corrected.")})
    locked = lock_for_change(deal, actor, expected_version)
    _require_open(locked)
    stages = _stages(locked)
    here, there = _index(stages, locked.stage_id), _index(stages, to_stage.pk)
    if there >= here:
        raise MoveRefused(_("A correction moves a deal back; use a normal move to go forward."))
    now = _now(at)
    old_stage = locked.stage
    tr = _write(
        locked,
        kind=Transition.Kind.CORRECTION,
        to_stage=stages[there],
        actor=actor,
        now=now,
        stages=stages,
        comment=reason.strip(),
    )
    record_changes(
        entity="deal",
        object_id=locked.pk,
        before={"stage": old_stage},
        after={"stage": stages[there]},
        user=actor,
        at=now,
    )
    _refresh(deal, locked)
    return tr


def _refresh(target: Deal, source: Deal) -> None:
    """Let the caller's instance see the new state (it was read before the lock)."""
    if target is source:
        return
    for name in (
        "stage_id",
        "furthest_stage_id",
        "status",
        "closed_at",
        "loss_reason_id",
        "loss_comment",
        "stage_entered_at",
        "version",
    ):
        setattr(target, name, getattr(source, name))
    target.stage = source.stage
