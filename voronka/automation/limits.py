"""The built-in stage time limit reminder (DESIGN, rule 5: "Each stage may have a time limit;
a deal over it is flagged and its owner reminded").

No rule is needed: a periodic job (``tasks.remind_over_limit``, every ``interval()``, its chain
started by each worker) looks for open deals that have stayed on their stage longer than the
stage's limit and tells each deal's owner once per stay on the stage. "Once" is the unique
``StageLimitReminder`` (deal, stage, time the deal entered it), inserted in the same
transaction as the notification: a job run twice, or by two workers at once, notifies once; a
deal that came back to the stage later is a new stay and is reminded again. A deal that moved
on (or was closed) before the job ran is not over any limit and gets nothing.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from voronka.deals.models import Deal
from voronka.deals.visibility import can_see_deal
from voronka.pipelines.models import Stage

from .models import StageLimitReminder

logger = logging.getLogger(__name__)

BATCH = 500


def interval() -> datetime.timedelta:
    """How often the job looks (``VORONKA_STAGE_LIMIT_CHECK_MINUTES``, 10 by default)."""
    return datetime.timedelta(
        minutes=max(1, int(getattr(settings, "VORONKA_STAGE_LIMIT_CHECK_MINUTES", 10))))


def _text(deal: Deal, stage: Stage) -> str:
    from voronka.web.templatetags.web_tags import hours_or_days

    with translation.override(deal.owner.language or settings.LANGUAGE_CODE):
        return _("“%(deal)s” has stayed on the stage “%(stage)s” longer than its time limit "
                 "(%(limit)s).") % {"deal": deal.title, "stage": stage.name,
                                    "limit": hours_or_days(stage.time_limit_hours)}


def _remind(deal_id: int, stage: Stage, entered: datetime.datetime,
            now: datetime.datetime) -> bool:
    """Remind the owner of one deal, if it is still on the stage since ``entered``, over the
    limit, and nobody did it yet. True when this call did."""
    from voronka.notifications.services import notification_create

    from .engine import deal_url

    with transaction.atomic():
        # Locked: a move of the deal waits for the reminder, or goes first and is seen here.
        deal = (Deal.objects.select_for_update(of=("self",)).select_related("owner")
                .filter(pk=deal_id, status=Deal.Status.OPEN, stage_id=stage.pk,
                        stage_entered_at=entered).first())
        if deal is None or now - entered <= datetime.timedelta(hours=stage.time_limit_hours):
            return False  # moved on, closed, or not over the limit
        if not (deal.owner.is_active and can_see_deal(deal.owner, deal)):
            # Nobody to tell (a deactivated owner, or one moved to another team): no reminder
            # is recorded, so the stay is reminded once the deal has an owner who can act.
            return False
        try:
            with transaction.atomic():
                StageLimitReminder.objects.create(
                    deal=deal, stage=stage, entered_at=entered,
                    limit_hours=stage.time_limit_hours, owner=deal.owner, created_at=now)
        except IntegrityError:
            return False  # another run of the job reminded first
        notification_create(
            user=deal.owner, text=_text(deal, stage), deal=deal, url=deal_url(deal.pk),
            idempotency_key=f"stage-limit:{deal.pk}:{stage.pk}:"
                            f"{entered.isoformat()}:{deal.owner_id}")
        return True


def remind_over_limit(*, now: datetime.datetime | None = None) -> int:
    """Remind the owners of the open deals now over their stage's time limit (each stay once).
    Returns how many reminders this run made."""
    now = now or timezone.now()
    done = 0
    stages = Stage.objects.filter(time_limit_hours__gt=0, pipeline__is_active=True)
    for stage in stages.order_by("pipeline_id", "position", "id"):
        cutoff = now - datetime.timedelta(hours=stage.time_limit_hours)
        reminded = StageLimitReminder.objects.filter(
            deal_id=OuterRef("pk"), stage_id=stage.pk, entered_at=OuterRef("stage_entered_at"))
        over = (Deal.objects.filter(pipeline_id=stage.pipeline_id, status=Deal.Status.OPEN,
                                    stage_id=stage.pk, stage_entered_at__lt=cutoff)
                .exclude(Exists(reminded)).order_by("stage_entered_at", "id")
                .values_list("pk", "stage_entered_at"))
        after: tuple[datetime.datetime, int] | None = None
        while True:  # in batches, each after the last one seen
            page = over if after is None else over.filter(
                Q(stage_entered_at__gt=after[0]) | Q(stage_entered_at=after[0], pk__gt=after[1]))
            batch = list(page[:BATCH])
            for deal_id, entered in batch:
                done += _remind(deal_id, stage, entered, now)
            if len(batch) < BATCH:
                break
            after = (batch[-1][1], batch[-1][0])
    return done
