"""Reads of tasks, scoped to the reader."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone

from voronka.accounts.models import User
from voronka.deals.visibility import deal_scope_q

from .models import Call, Task


def task_list(*, user: User, assignee_id: int | None = None, done: bool | None = None
              ) -> QuerySet[Task]:
    """Tasks assigned to the reader, plus those on deals the reader may see."""
    qs = Task.objects.all()
    if not user.is_admin:
        qs = qs.filter(Q(assignee_id=user.pk)
                       | (Q(deal__isnull=False) & deal_scope_q(user, "deal__")))
    if assignee_id:
        qs = qs.filter(assignee_id=assignee_id)
    if done is not None:
        qs = qs.filter(is_done=done)
    return qs.select_related("deal", "assignee", "contact", "company")


def task_overdue(*, user: User) -> QuerySet[Task]:
    """The reader's own open tasks past due. A task assigned to the reader is always theirs
    to see, so no deal scope (and none of its joins): every page counts these."""
    return Task.objects.filter(assignee_id=user.pk, is_done=False,
                               due_at__lt=timezone.now()).select_related(
        "deal", "assignee", "contact", "company")


def call_list(*, user: User) -> QuerySet[Call]:
    if user.is_admin:
        return Call.objects.all()
    return Call.objects.filter(Q(user_id=user.pk)
                               | (Q(deal__isnull=False) & deal_scope_q(user, "deal__")))


def task_get(*, user: User, pk) -> Task:
    """A task the reader may see (assigned to them or on a deal they see); NotFound if not."""
    from voronka.core.errors import NotFound

    try:
        return task_list(user=user).get(pk=int(pk))
    except (Task.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("task") from exc


UPCOMING_DAYS = 14


@dataclass
class TaskAgenda:
    """One person's open tasks by when they are due (the user's local day), and what they
    finished today."""

    overdue: list[Task] = field(default_factory=list)
    today: list[Task] = field(default_factory=list)
    upcoming: list[Task] = field(default_factory=list)  # the next two weeks
    later: list[Task] = field(default_factory=list)
    done_today: list[Task] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"overdue": len(self.overdue), "today": len(self.today),
                "upcoming": len(self.upcoming), "later": len(self.later)}


def task_agenda(*, user: User, assignee_id: int, now: datetime.datetime,
                with_done: bool = True) -> TaskAgenda:
    """``assignee_id``'s tasks as ``user`` may see them, grouped for "My tasks"."""
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    end_today = start + datetime.timedelta(days=1)
    horizon = start + datetime.timedelta(days=UPCOMING_DAYS + 1)
    agenda = TaskAgenda()
    for task in (task_list(user=user, assignee_id=assignee_id, done=False)
                 .select_related("deal__stage").order_by("due_at", "id")):
        if task.due_at < now:
            agenda.overdue.append(task)
        elif task.due_at < end_today:
            agenda.today.append(task)
        elif task.due_at < horizon:
            agenda.upcoming.append(task)
        else:
            agenda.later.append(task)
    if with_done:
        agenda.done_today = list(task_list(user=user, assignee_id=assignee_id, done=True)
                                 .filter(done_at__gte=start).order_by("-done_at")[:20])
    return agenda


def deal_lacks_next_step(*, task: Task) -> bool:
    """After ``task`` is done: its deal is open and has no open task left. The method wants
    a next agreement planned on every live deal (seed 003 §7)."""
    if task.deal_id is None or not task.deal.is_open:
        return False
    return not Task.objects.filter(deal_id=task.deal_id, is_done=False).exists()
