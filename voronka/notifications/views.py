"""The user's notifications: the list (newest first), mark one or all as read."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from voronka.web.views.common import web_view

from . import selectors, services

PAGE = 100


@web_view
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    items = list(selectors.notification_list(user=request.user, unread_only=unread_only)[:PAGE])
    return render(request, "notifications/list.html", {
        "section": "notifications", "items": items, "unread_only": unread_only,
        "unread": selectors.notification_unread_count(user=request.user)})


@require_POST
@web_view
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    note = services.notification_mark_read(user=request.user, notification_id=notification_id)
    target = note.url if note.url and url_has_allowed_host_and_scheme(
        note.url, allowed_hosts={request.get_host()}) else None
    return redirect(target or "notifications:list")


@require_POST
@web_view
def notification_read_all(request: HttpRequest) -> HttpResponse:
    services.notification_mark_all_read(user=request.user)
    return redirect("notifications:list")
