"""My tasks: overdue, today, upcoming; one-click done with a result; the wording advice."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from voronka.accounts.selectors import user_list
from voronka.activities.selectors import task_get
from voronka.activities.selectors import task_list as task_select
from voronka.activities.services import task_complete
from voronka.activities.wording import check_task_wording
from voronka.core import errors

from .common import int_or_none, safe_next, toast_response, trigger, web_view

UPCOMING_DAYS = 14


@require_GET
@web_view
def task_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    people = list(user_list(user=user)) if (user.is_admin or user.is_head) else []
    assignee_id = int_or_none(request.GET.get("assignee")) if people else None
    if assignee_id not in {p.pk for p in people}:
        assignee_id = user.pk
    tasks = (task_select(user=user, assignee_id=assignee_id, done=False)
             .select_related("deal__stage").order_by("due_at", "id"))
    now = timezone.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    end_today = start + datetime.timedelta(days=1)
    horizon = start + datetime.timedelta(days=UPCOMING_DAYS + 1)
    overdue, today, upcoming, later = [], [], [], []
    for task in tasks:
        if task.due_at < now:
            overdue.append(task)
        elif task.due_at < end_today:
            today.append(task)
        elif task.due_at < horizon:
            upcoming.append(task)
        else:
            later.append(task)
    done = (task_select(user=user, assignee_id=assignee_id, done=True)
            .filter(done_at__gte=start).order_by("-done_at")[:20])
    return render(request, "web/tasks/list.html", {
        "section": "tasks", "people": people, "assignee_id": assignee_id,
        "groups": [("overdue", _("Overdue"), overdue), ("today", _("Today"), today),
                   ("upcoming", _("Next two weeks"), upcoming), ("later", _("Later"), later)],
        "done": done, "now": now})


@require_POST
@web_view
def task_done(request: HttpRequest, task_id: int) -> HttpResponse:
    task = task_get(user=request.user, pk=task_id)
    try:
        task = task_complete(task=task, actor=request.user,
                             result=request.POST.get("result", "")[:5000])
    except errors.MoveRefused as exc:
        if request.htmx:
            return toast_response(exc.message, "error", status=409)
        messages.error(request, exc.message)
        return redirect(safe_next(request, "web:task_list"))
    if request.htmx:
        response = render(request, "web/tasks/_task.html", {"task": task, "now": timezone.now()})
        return trigger(response, "toast", {"message": _("Done."), "level": "success"})
    messages.success(request, _("Done."))
    return redirect(safe_next(request, "web:task_list"))


@require_GET
@web_view
def task_wording(request: HttpRequest) -> HttpResponse:
    advice = check_task_wording(request.GET.get("text", ""))
    return render(request, "web/tasks/_wording.html", {"advice": advice,
                                                       "text": request.GET.get("text", "")})
