"""Rollups: pre-aggregated facts of the deals and their transition log.

Every deal contributes *facts* (see ``facts.py``): one cohort fact (its current state, keyed by
its creation day), flow facts (first arrival at each stage, wins, losses, keyed by the day of
the move) and duration facts (each stay on a stage, each created→won cycle). The cells below
sum those facts at four levels of detail × two grains, so a report reads a few hundred or
thousand rows instead of scanning the log:

* level 0 — pipeline; 1 — pipeline × owner; 2 — pipeline × source; 3 — pipeline × owner × source
  (owner_id 0 / source "" where the level does not keep the dimension);
* grain "d" — ``day`` is the local day; "m" — ``day`` is the first day of the month.

The unique key doubles as the index every report reads through: pipeline, level, grain, then
the equality filters (owner, source), then the day range.

``DealSnapshot`` remembers, per deal, exactly what it contributed (its state and the last
transition seen), so a refresh subtracts the old facts and adds the new ones: idempotent and
exact. Money is kept in integer cents so sums are exact on SQLite too.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

LEVELS = (0, 1, 2, 3)
GRAINS = ("d", "m")


class RefreshState(models.Model):
    """The single row saying how far the rollups have read the change logs."""

    transition_mark = models.BigIntegerField(_("last transition read"), default=0)
    change_mark = models.BigIntegerField(_("last field change read"), default=0)
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True, blank=True)
    rebuilt_at = models.DateTimeField(_("rebuilt at"), null=True, blank=True)
    # The time zone the days were computed in, and the version of the fact rules
    # (facts.FACTS_VERSION) the cells were made with; another one means a full rebuild.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, default="")
    facts_version = models.PositiveIntegerField(_("version of the fact rules"), default=0)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup state")

    def __str__(self) -> str:
        return f"transitions ≤ {self.transition_mark}, changes ≤ {self.change_mark}"


class PipelineShape(models.Model):
    """The stage order the rollups of a pipeline were built with; another order → rebuild."""

    pipeline_id = models.BigIntegerField(primary_key=True)
    stage_order = models.CharField(max_length=2000)

    def __str__(self) -> str:
        return f"{self.pipeline_id}: {self.stage_order}"


class DealSnapshot(models.Model):
    """What one deal contributed to the cells at the last refresh."""

    deal_id = models.BigIntegerField(primary_key=True)
    pipeline_id = models.BigIntegerField()
    owner_id = models.BigIntegerField()
    source = models.CharField(max_length=100, blank=True, default="")
    budget_cents = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()
    furthest_stage_id = models.BigIntegerField()
    stage_id = models.BigIntegerField()
    status = models.CharField(max_length=8)
    loss_reason_id = models.BigIntegerField(default=0)
    # Transitions with id ≤ this were included; the log is append-only, so the old facts can
    # always be recomputed from this row and those transitions.
    last_transition_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"deal {self.deal_id} ≤ transition {self.last_transition_id}"


class _Cell(models.Model):
    level = models.PositiveSmallIntegerField()
    grain = models.CharField(max_length=1)
    pipeline_id = models.BigIntegerField()
    day = models.DateField()
    owner_id = models.BigIntegerField(default=0)
    source = models.CharField(max_length=100, blank=True, default="")
    n = models.BigIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.pipeline_id}/{self.level}{self.grain}/{self.day}: {self.n}"


class CohortCell(_Cell):
    """Deals by creation day and their current state (furthest stage, stage, status, reason)."""

    furthest_stage_id = models.BigIntegerField()
    stage_id = models.BigIntegerField()
    status = models.CharField(max_length=8)
    loss_reason_id = models.BigIntegerField(default=0)
    budget_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["pipeline_id", "level", "grain", "owner_id", "source", "day",
                    "furthest_stage_id", "stage_id", "status", "loss_reason_id"],
            name="analytics_cohortcell_key")]


class FlowCell(_Cell):
    """Moves by the day they happened: first arrival at a stage, a deal's standing win or loss
    (with reason: its last close, if no reopening followed), valued at the budget recorded on
    the move. Every count is a number of deals, never below zero."""

    REACH, WON, LOST = "reach", "won", "lost"

    kind = models.CharField(max_length=8)
    stage_id = models.BigIntegerField(default=0)
    loss_reason_id = models.BigIntegerField(default=0)
    budget_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["pipeline_id", "level", "grain", "owner_id", "source", "day",
                    "kind", "stage_id", "loss_reason_id"],
            name="analytics_flowcell_key")]


class DurationCell(_Cell):
    """Histograms of durations by the day they ended: stays on a stage, created→won cycles.

    ``bucket`` is the duration rounded up to the report's resolution (see facts.stay_bucket),
    in hours for stays and in days for cycles; ``seconds`` is the exact sum, for means."""

    STAY, CYCLE = "stay", "cycle"

    kind = models.CharField(max_length=8)
    stage_id = models.BigIntegerField(default=0)
    bucket = models.BigIntegerField()
    seconds = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["pipeline_id", "level", "grain", "owner_id", "source", "day",
                    "kind", "stage_id", "bucket"],
            name="analytics_durationcell_key")]
