"""My tasks: overdue, today, upcoming; one-click done with a result; the wording advice."""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.accounts.selectors import user_list
from voronka.activities.selectors import (
    deal_lacks_next_step,
    task_agenda,
    task_get,
    task_overdue,
)
from voronka.activities.services import task_complete
from voronka.activities.wording import check_task_wording
from voronka.core import errors
from voronka.core.numbers import parse_int

from .common import safe_next, toast_response, trigger, web_view

NAME = re.compile(r"[a-z][a-z0-9_-]{0,40}")
GROUPS = (("overdue", gettext_lazy("Overdue")), ("today", gettext_lazy("Today")),
          ("upcoming", gettext_lazy("Next two weeks")), ("later", gettext_lazy("Later")))


@require_GET
@web_view
def task_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    people = list(user_list(user=user)) if (user.is_admin or user.is_head) else []
    assignee_id = parse_int(request.GET.get("assignee")) if people else None
    if assignee_id not in {p.pk for p in people}:
        assignee_id = user.pk
    now = timezone.now()
    agenda = task_agenda(user=user, assignee_id=assignee_id, now=now)
    return render(request, "web/tasks/list.html", {
        "section": "tasks", "people": people, "assignee_id": assignee_id,
        "groups": [(key, title, getattr(agenda, key)) for key, title in GROUPS],
        "done": agenda.done_today, "now": now})


@require_POST
@web_view
def task_done(request: HttpRequest, task_id: int) -> HttpResponse:
    task = task_get(user=request.user, pk=task_id)
    try:
        task = task_complete(task=task, actor=request.user,
                             result=request.POST.get("result", "")[:5000])
    except (errors.MoveRefused, errors.ValidationError) as exc:
        if request.htmx:
            status = 422 if isinstance(exc, errors.ValidationError) else 409
            return toast_response(exc.message, "error", status=status)
        messages.error(request, exc.message)
        return redirect(safe_next(request, "web:task_list"))
    if request.htmx:
        now = timezone.now()
        # The counters elsewhere on the page follow: the menu's overdue badge, and on
        # "My tasks" each group's count (of the list's person, the task's assignee).
        counts = (task_agenda(user=request.user, assignee_id=task.assignee_id, now=now,
                              with_done=False).counts()
                  if request.POST.get("origin") == "tasks" else {})
        response = render(request, "web/tasks/_done.html", {
            "task": task, "now": now, "counts": counts,
            "on_deal_page": request.POST.get("origin") != "tasks",
            "nav_overdue": task_overdue(user=request.user).count()})
        if deal_lacks_next_step(task=task):
            return trigger(response, "toast", {"level": "warning", "message": _(
                "Done. “%(deal)s” has no next step now: plan the next agreement.")
                % {"deal": task.deal.title}})
        return trigger(response, "toast", {"message": _("Done."), "level": "success"})
    if deal_lacks_next_step(task=task):
        messages.warning(request, _("Done. “%(deal)s” has no next step now: plan the next "
                                    "agreement.") % {"deal": task.deal.title})
        return redirect(safe_next(request, "web:task_list"))
    messages.success(request, _("Done."))
    return redirect(safe_next(request, "web:task_list"))


@require_http_methods(["GET", "POST"])
@web_view
def task_wording(request: HttpRequest) -> HttpResponse:
    """The wording advice for the text being typed (POST from the form; GET still works).
    ``field`` names the input when it is not ``text`` and ``target`` the advice's element
    (the automation editor has a task text per action)."""
    data = request.POST if request.method == "POST" else request.GET
    field, target = data.get("field", "text"), data.get("target", "wording")
    if not (NAME.fullmatch(field) and NAME.fullmatch(target)):
        field, target = "text", "wording"
    text = data.get(field, "")[:2000]
    return render(request, "web/tasks/_wording.html", {"advice": check_task_wording(text),
                                                       "text": text, "target": target})
