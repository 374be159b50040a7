"""Plan at risk: the daily check that tells a manager (and their team's heads) which stage of
the prospective funnel is short of its requirement (voronka.forecast.required).

The seed's checkpoint is the middle of the month ("если на середину месяца есть отклонения
от этих цифр в меньшую сторону, значит план под угрозой"): the check raises no alarm before
``required.CHECK_DAY``; from it on, every day a stage is still short, it says so.

One notice per (manager or team, stage, day) and recipient: the notification's idempotency key
carries them, so re-running the job the same day — or a worker re-running it after a crash —
never notifies twice. A stage that recovers and falls short again the next day is notified
again the next day.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from voronka.accounts.models import Role, User
from voronka.notifications.services import notification_create
from voronka.pipelines.models import Pipeline
from voronka.web.templatetags.web_tags import money_text

from .form import funnel_forms
from .models import Plan
from .required import RequiredStage, check_day, month_bounds
from .selectors import Prospect, build_prospect

ZERO = Decimal("0")


@dataclass(frozen=True)
class Notice:
    recipient_id: int
    key: str


def _text(prospect: Prospect, stage: RequiredStage, recipient: User) -> str:
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        whose = (prospect.owner.full_name or prospect.owner.email) if prospect.owner \
            else prospect.pipeline.team.name
        return _("Plan at risk (%(whose)s, %(pipeline)s), stage “%(stage)s”: open deals on "
                 "it and further %(now)s · %(budget)s, the plan needs %(required)s · "
                 "%(required_budget)s, short by %(short)s · %(short_budget)s.") % {
            "whose": whose, "pipeline": prospect.pipeline.name, "stage": stage.name,
            "now": stage.now.n, "budget": money_text(stage.now.budget),
            "required": stage.required_count,
            "required_budget": money_text(stage.required_budget or ZERO),
            "short": stage.deficit_n, "short_budget": money_text(stage.deficit_budget or ZERO)}


def _url(prospect: Prospect) -> str:
    from django.urls import reverse

    query = f"?pipeline={prospect.pipeline.pk}"
    if prospect.owner:
        query += f"&manager={prospect.owner.pk}"
    return reverse("forecast:prospect") + query


def _notify(prospect: Prospect, recipients: list[User], day: datetime.date) -> list[Notice]:
    out = []
    whose = f"u{prospect.owner.pk}" if prospect.owner else f"t{prospect.pipeline.team_id}"
    for stage in prospect.required.stages if prospect.required else []:
        if not stage.at_risk:
            continue
        for person in recipients:
            key = (f"plan-risk:{prospect.pipeline.pk}:{whose}:{stage.id}:{day.isoformat()}"
                   f":{person.pk}")
            notification_create(user=person, text=_text(prospect, stage, person),
                                url=_url(prospect), idempotency_key=key)
            out.append(Notice(person.pk, key))
    return out


def check_plans(*, as_of: datetime.date | None = None) -> list[Notice]:
    """Every active pipeline, every manager with a plan this month (and the team's plan); no
    alarm before the middle of the month."""
    day = as_of or timezone.localdate()
    if day < check_day(day):
        return []
    first, _last = month_bounds(day)
    notices: list[Notice] = []
    for pipeline in Pipeline.objects.filter(is_active=True).select_related("team"):
        plans = list(Plan.objects.filter(team_id=pipeline.team_id, month=first)
                     .select_related("user"))
        if not plans:
            continue
        heads = list(User.objects.filter(team_id=pipeline.team_id, role=Role.HEAD,
                                         is_active=True))
        forms = funnel_forms(pipeline, as_of=day)
        for plan in plans:
            if plan.user is not None and not plan.user.is_active:
                continue
            prospect = build_prospect(pipeline, plan.user, as_of=day, forms=forms)
            recipients = ([plan.user] if plan.user else []) + [
                h for h in heads if plan.user is None or h.pk != plan.user.pk]
            notices += _notify(prospect, recipients, day)
    return notices
