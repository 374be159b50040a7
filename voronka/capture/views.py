"""Staff screens: capture channels (URLs and the embeddable snippet) and the capture log."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.core.errors import NotFound
from voronka.deals.visibility import can_manage_pipeline

from .fields import HONEYPOT, TARGETS
from .models import Capture, Channel
from .selectors import capture_get, capture_list, channel_get, channel_list
from .services import capture_process


def deal_url(deal_id: int | None) -> str:
    if not deal_id:
        return ""
    try:
        return reverse("web:deal", args=[deal_id])
    except NoReverseMatch:
        return reverse("admin:deals_deal_change", args=[deal_id])


def _urls(request: HttpRequest, channel: Channel) -> dict[str, str]:
    name = {Channel.Kind.WEBHOOK: "capture:webhook",
            Channel.Kind.TELEPHONY: "capture:telephony"}.get(channel.kind, "capture:form")
    return {"endpoint": request.build_absolute_uri(reverse(name, args=[channel.key]))}


def snippet(request: HttpRequest, channel: Channel) -> str:
    """The HTML to paste into a site: a plain form posting to our endpoint, no JavaScript."""
    fields = [{**spec, "label": spec["label"] or str(TARGETS.get(spec["target"], spec["name"])),
               "type": {"phone": "tel", "email": "email"}.get(spec["target"], "text"),
               "textarea": spec["target"] == "comment"} for spec in channel.fields]
    return render_to_string("capture/snippet.html", {
        "channel": channel, "fields": fields, "honeypot": HONEYPOT,
        "action": _urls(request, channel)["endpoint"]}).strip()


def _get(load, **kwargs):
    try:
        return load(**kwargs)
    except NotFound as exc:
        raise Http404 from exc


@login_required
def channels(request: HttpRequest) -> HttpResponse:
    return render(request, "capture/channels.html", {
        "section": "capture", "channels": channel_list(user=request.user)})


@login_required
def channel_detail(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _get(channel_get, user=request.user, pk=pk)
    urls = _urls(request, channel)
    iframe = (f'<iframe src="{urls["endpoint"]}" style="width:100%;max-width:32rem;'
              f'height:32rem;border:0" title="{escape(channel.name)}"></iframe>')
    return render(request, "capture/channel.html", {
        "section": "capture", "channel": channel, "urls": urls,
        "can_set_up": can_manage_pipeline(request.user, channel.pipeline),
        "snippet": snippet(request, channel) if channel.fields else "",
        "iframe": iframe if channel.fields else "",
        "recent": capture_list(user=request.user, channel_id=channel.pk)[:20],
        "mapping": json.dumps(channel.mapping, ensure_ascii=False, indent=2)})


@login_required
def log(request: HttpRequest) -> HttpResponse:
    outcome = request.GET.get("outcome") or None
    if outcome not in Capture.Outcome.values:
        outcome = None
    try:
        channel_id = int(request.GET.get("channel") or 0) or None
    except ValueError:
        channel_id = None
    page = Paginator(capture_list(user=request.user, channel_id=channel_id, outcome=outcome),
                     50).get_page(request.GET.get("page"))
    for capture in page:
        capture.deal_url = deal_url(capture.deal_id)
    return render(request, "capture/log.html", {
        "section": "capture", "page": page, "outcome": outcome, "channel_id": channel_id,
        "outcomes": Capture.Outcome.choices, "channels": channel_list(user=request.user)})


@login_required
def capture_detail(request: HttpRequest, pk: int) -> HttpResponse:
    capture = _get(capture_get, user=request.user, pk=pk)
    return render(request, "capture/capture.html", {
        "section": "capture", "capture": capture, "deal_url": deal_url(capture.deal_id),
        "payload": json.dumps(capture.payload, ensure_ascii=False, indent=2),
        "meta": json.dumps(capture.meta, ensure_ascii=False, indent=2)})


@login_required
@require_POST
def capture_reprocess(request: HttpRequest, pk: int) -> HttpResponse:
    """Process a capture left pending (e.g. the server stopped right after storing it)."""
    capture = _get(capture_get, user=request.user, pk=pk)
    if not (request.user.is_admin or request.user.is_head):
        raise Http404
    if capture.outcome != Capture.Outcome.PENDING:
        messages.info(request, _("This request was already processed."))
    else:
        capture = capture_process(capture=capture)
        messages.success(request, _("Processed: %(outcome)s.")
                         % {"outcome": capture.get_outcome_display()})
    return redirect("capture:capture", pk=capture.pk)
