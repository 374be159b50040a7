"""The public capture endpoints: the only CSRF-exempt views, each needing its channel's key.

They parse, check size, rate and the honeypot, then call ``capture_submit`` and render.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from voronka.core.errors import NotFound
from voronka.core.http import client_ip

from .fields import HONEYPOT, SUBMISSION, TARGETS, UTM
from .models import Capture, Channel
from .selectors import channel_by_key, recent_from_ip
from .services import capture_submit

Kind = Channel.Kind
Outcome = Capture.Outcome


def _limit(name: str, default: str) -> tuple[int, int]:
    raw = str(getattr(settings, name, default)).strip()
    if raw in {"", "0", "off"}:
        return 0, 0
    count, _sep, window = raw.partition("/")
    return int(count), int(window or 60)


def _error(status: int, code: str, message: str, errors: dict | None = None,
           **headers: str) -> JsonResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _guard(request: HttpRequest, channel: Channel) -> JsonResponse | None:
    """Size and per-IP rate checks, before anything is read or stored."""
    limit = settings.VORONKA_CAPTURE_MAX_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit or len(request.body) > limit:
        return _error(413, "too_large", _("The request is larger than %(n)d bytes.")
                      % {"n": limit}, {"body": [_("Too large.")]})
    public = channel.kind in (Kind.FORM, Kind.CALLBACK)
    count, window = (_limit("VORONKA_CAPTURE_RATE_LIMIT", "30/60") if public
                     else _limit("VORONKA_CAPTURE_HOOK_RATE_LIMIT", "600/60"))
    if count and recent_from_ip(ip=client_ip(request), seconds=window,
                                channel=None if public else channel) >= count:
        return _error(429, "rate_limited", _("Too many requests; try again later."),
                      Retry_After=str(window))
    return None


def _clean(value: Any, depth: int = 0) -> Any:
    """Raise ValueError for what no database can store (NUL, lone surrogates, deep nests)."""
    if depth > 20:
        raise ValueError
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError
        value.encode("utf-8")
        return value
    if isinstance(value, dict):
        return {_clean(str(k), depth + 1): _clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, depth + 1) for v in value]
    return value


def _payload(request: HttpRequest) -> Any:
    if request.content_type == "application/json":
        data = json.loads(request.body.decode("utf-8"))
    else:
        data = {key: request.POST.get(key, "") for key in request.POST}
    return _clean(data)


def _meta(request: HttpRequest) -> dict[str, str]:
    return {"user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "referer": request.META.get("HTTP_REFERER", "")[:500],
            "content_type": request.content_type or ""}


def _wants_json(request: HttpRequest) -> bool:
    return (request.content_type == "application/json"
            or "application/json" in request.META.get("HTTP_ACCEPT", ""))


def _form_context(channel: Channel, request: HttpRequest, values: dict, errors: dict) -> dict:
    fields = [{**spec, "label": spec["label"] or str(TARGETS.get(spec["target"], spec["name"])),
               "value": values.get(spec["name"], ""), "errors": errors.get(spec["name"], []),
               "type": {"phone": "tel", "email": "email"}.get(spec["target"], "text"),
               "textarea": spec["target"] == "comment"} for spec in channel.fields]
    hidden = {name: values.get(name) or request.GET.get(name, "") for name in (*UTM, "source")}
    return {"channel": channel, "fields": fields, "errors": errors,
            "hidden": {k: v[:200] for k, v in hidden.items() if v},
            "submission": values.get(SUBMISSION) or uuid.uuid4().hex,
            "honeypot": HONEYPOT, "submission_name": SUBMISSION}


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def form(request: HttpRequest, key: str) -> HttpResponse:
    """A web form or a callback request form: the page (GET), the submission (POST)."""
    try:
        channel = channel_by_key(key=key, kinds=(Kind.FORM, Kind.CALLBACK))
    except NotFound:
        return _error(404, "not_found", _("No such form."))
    if request.method == "GET":
        return render(request, "capture/form.html", _form_context(channel, request, {}, {}))
    refused = _guard(request, channel)
    if refused is not None:
        return refused
    try:
        payload = _payload(request)
    except (ValueError, UnicodeError):
        return _error(400, "bad_request", _("The request body cannot be read."),
                      {"body": [_("Send form fields or a JSON object.")]})
    if not isinstance(payload, dict):
        return _error(400, "bad_request", _("Send form fields or a JSON object."))
    spam = bool(str(payload.get(HONEYPOT, "")).strip())
    capture, _created = capture_submit(
        channel=channel, payload=payload, provider_id=str(payload.get(SUBMISSION, ""))[:200],
        ip=client_ip(request), meta=_meta(request), spam=spam)
    if capture.outcome == Outcome.INVALID:
        if _wants_json(request):
            return _error(422, "validation_error", _("Please correct the fields."),
                          capture.errors)
        context = _form_context(channel, request, payload, capture.errors)
        context["submission"] = uuid.uuid4().hex  # the corrected form is a new submission
        return render(request, "capture/form.html", context, status=422)
    # Spam gets the same answer as a real lead: a bot learns nothing.
    if _wants_json(request):
        return JsonResponse({"status": "ok"}, status=201)
    if channel.success_url:
        return HttpResponseRedirect(channel.success_url, status=303)
    return render(request, "capture/thanks.html", {"channel": channel})


def _machine(request: HttpRequest, key: str, kind: str) -> HttpResponse:
    try:
        channel = channel_by_key(key=key, kinds=(kind,))
    except NotFound:
        return _error(404, "not_found", _("No such webhook."))
    refused = _guard(request, channel)
    if refused is not None:
        return refused
    try:
        payload = _payload(request)
    except (ValueError, UnicodeError):
        return _error(400, "bad_request", _("The request body cannot be read."),
                      {"body": [_("Send a JSON object or form fields.")]})
    if not isinstance(payload, dict):
        return _error(422, "validation_error", _("Send a JSON object."),
                      {"body": [_("Send a JSON object.")]})
    provider_id = request.headers.get("Idempotency-Key", "")[:200]
    capture, created = capture_submit(channel=channel, payload=payload,
                                      provider_id=provider_id, ip=client_ip(request),
                                      meta=_meta(request))
    body = {"capture_id": capture.pk, "outcome": capture.outcome, "duplicate": not created,
            "deal_id": capture.deal_id, "contact_id": capture.contact_id,
            "task_id": capture.task_id, "call_id": capture.call_id}
    if capture.outcome == Outcome.INVALID:
        return _error(422, "validation_error", _("The payload is not valid."), capture.errors)
    return JsonResponse(body, status=201 if created else 200)


@csrf_exempt
@require_http_methods(["POST"])
def webhook(request: HttpRequest, key: str) -> HttpResponse:
    """Generic inbound webhook: a JSON object (or form fields) mapped to lead fields."""
    return _machine(request, key, Kind.WEBHOOK)


@csrf_exempt
@require_http_methods(["POST"])
def telephony(request: HttpRequest, key: str) -> HttpResponse:
    """A telephony event: direction, from, to, start, duration, recording, status, call id."""
    return _machine(request, key, Kind.TELEPHONY)
