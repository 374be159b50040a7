"""Settings screens of capture channels: create (kind first), edit, issue a new key.

The views parse the form and call ``channel_create`` / ``channel_update``, which check
permissions and values; their field-named errors come back on the form. Administrators set up
any channel, a head of sales those of their team's pipelines; others get 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from voronka.accounts.models import Role
from voronka.accounts.selectors import user_list
from voronka.core import errors
from voronka.deals.visibility import can_manage_pipeline
from voronka.pipelines.models import Pipeline
from voronka.pipelines.selectors import pipeline_manage_list
from voronka.web.views.common import staff_view

from .forms import KIND_HELP, ChannelForm
from .models import Channel
from .selectors import channel_get
from .services import channel_create, channel_rotate_key, channel_update


def _pipelines(request: HttpRequest, channel: Channel | None = None) -> list[Pipeline]:
    """The pipelines the user may send leads to (the channel's own, even if archived)."""
    pipelines = pipeline_manage_list(user=request.user)
    if channel is not None and channel.pipeline_id not in {p.pk for p in pipelines}:
        pipelines.insert(0, channel.pipeline)
    return pipelines


def _candidates(request: HttpRequest, pipelines: list[Pipeline]) -> list:
    """Who may receive the deals: managers and heads of those pipelines' teams."""
    teams = {p.team_id for p in pipelines}
    return list(user_list(user=request.user)
                .filter(role__in=(Role.MANAGER, Role.HEAD), team_id__in=teams)
                .order_by("team__name", "full_name", "email"))


def _managed(request: HttpRequest, pk: Any) -> Channel:
    channel = channel_get(user=request.user, pk=pk)
    if not can_manage_pipeline(request.user, channel.pipeline):
        raise errors.NotFound("channel")
    return channel


def _refreshing(request: HttpRequest) -> bool:
    """The form posted back only to redraw its field rows for another pipeline (its custom
    fields differ); nothing is saved."""
    return request.method == "POST" and "refresh_rows" in request.POST


def _page(request: HttpRequest, form: ChannelForm, channel: Channel | None) -> HttpResponse:
    """The settings form; a refused save answers 422 (htmx and browsers still show it)."""
    refused = request.method == "POST" and not _refreshing(request)
    return render(request, "capture/channel_form.html", {
        "section": "capture", "form": form, "channel": channel, "kind": form.kind,
        "kind_label": Channel.Kind(form.kind).label, "kind_help": KIND_HELP[form.kind],
        "rows": [{**row, **{part: form[f"{part}_{row['slug']}"]
                            for part in ("show", "required", "label", "input", "map")
                            if f"{part}_{row['slug']}" in form.fields}}
                 for row in form.rows]}, status=422 if refused else 200)


@require_http_methods(["GET", "POST"])
@staff_view
def channel_new(request: HttpRequest) -> HttpResponse:
    """Step one: the kind, each with a word on what it is; step two: the settings."""
    kind = request.POST.get("kind") or request.GET.get("kind")
    pipelines = _pipelines(request)
    if kind not in Channel.Kind.values:
        return render(request, "capture/channel_kind.html", {
            "section": "capture", "pipelines": pipelines,
            "kinds": [(value, label, KIND_HELP[value])
                      for value, label in Channel.Kind.choices]})
    form = ChannelForm(request.POST or None, kind=kind, pipelines=pipelines,
                       candidates=_candidates(request, pipelines))
    if request.method == "POST" and not _refreshing(request) and form.is_valid():
        try:
            channel = channel_create(actor=request.user, kind=kind, members=form.member_users(),
                                     **form.service_kwargs())
        except errors.ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("The channel is created: paste its address or "
                                        "snippet where the leads come from."))
            return redirect("capture:channel", pk=channel.pk)
    return _page(request, form, None)


@require_http_methods(["GET", "POST"])
@staff_view
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _managed(request, pk)
    pipelines = _pipelines(request, channel)
    form = ChannelForm(request.POST or None, kind=channel.kind, pipelines=pipelines,
                       candidates=_candidates(request, pipelines), channel=channel)
    if request.method == "POST" and not _refreshing(request) and form.is_valid():
        try:
            # A fresh copy: the service sets the values on it; nothing is kept if it refuses.
            channel_update(channel=Channel.objects.select_related("pipeline").get(pk=pk),
                           actor=request.user, members=form.member_users(),
                           **form.service_kwargs())
        except errors.ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("The channel is saved."))
            return redirect("capture:channel", pk=channel.pk)
    return _page(request, form, channel)


@require_POST
@staff_view
def channel_key_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    """A new secret key: the old address and every pasted snippet stop working."""
    channel = channel_rotate_key(channel=_managed(request, pk), actor=request.user)
    messages.success(request, _("A new key is issued: update the address and the "
                                "snippet wherever they are used."))
    return redirect("capture:channel", pk=channel.pk)

