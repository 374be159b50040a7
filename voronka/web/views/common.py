"""Shared plumbing of the web views: login, mapping service errors to answers, htmx toasts."""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from voronka.core import errors


def render_with_parts(request: HttpRequest, template: str, context: dict[str, Any], *,
                      slot: str, parts: list[str]) -> HttpResponse:
    """``template`` rendered with ``{{ slot }}`` standing for ``parts`` (trusted HTML, every
    value in it escaped), which go into the response as they are.

    For the board: its ~300 KB of cards as one string, copied through each template level and
    then encoded, cost ~2.5 ms a page here — fresh memory, page-faulted in, for every copy.
    Kept as one part per column, each is encoded once and the response joined once."""
    marker = f"<!--{secrets.token_hex(8)}-->"
    html = render_to_string(template, {**context, slot: mark_safe(marker)}, request)
    head, tail = html.split(marker, 1)
    return HttpResponse([head, *parts, tail])


def web_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required; an object the user may not see answers 404, a forbidden act 403, bad
    input a service refused 422."""

    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except errors.NotFound as exc:
            raise Http404(str(exc)) from exc
        except errors.PermissionDenied as exc:
            if request.htmx:
                return toast_response(exc.message or _("You may not do this."), "error",
                                      status=403)
            return render(request, "web/forbidden.html", {"message": exc.message}, status=403)
        except errors.ValidationError as exc:
            # A view that does not show a service's field errors in its own form: the user
            # still learns which field, and that nothing was written.
            if request.htmx:
                return toast_response(exc.message, "error", status=422)
            return render(request, "web/invalid.html", {"errors": exc.errors}, status=422)

    return wrapper


def staff_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For the settings pages: administrators and heads of sales only (others get 404)."""

    @web_view
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not (request.user.is_admin or request.user.is_head):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def writer_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For the pages that create records: a reader who may not write (a marketer) gets the
    403 page instead of a form every save of which would be refused."""

    @web_view
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.can_write:
            raise errors.PermissionDenied(_("Your role reads the CRM; it does not change it."))
        return view(request, *args, **kwargs)

    return wrapper


def trigger(response: HttpResponse, name: str, detail: Any = None) -> HttpResponse:
    """Add a client event to HX-Trigger, keeping the ones already there."""
    current = response.headers.get("HX-Trigger")
    events = json.loads(current) if current else {}
    events[name] = detail if detail is not None else {}
    # ASCII only: a header with other characters gets MIME-encoded and htmx cannot read it.
    response.headers["HX-Trigger"] = json.dumps(events, ensure_ascii=True)
    return response


def toast_response(message: str, level: str = "info", *, status: int = 200,
                   extra: dict[str, Any] | None = None) -> HttpResponse:
    """An htmx answer that swaps nothing and shows a toast (and maybe more client events)."""
    response = HttpResponse(status=status)
    response.headers["HX-Reswap"] = "none"
    trigger(response, "toast", {"message": str(message), "level": level})
    for name, detail in (extra or {}).items():
        trigger(response, name, detail)
    return response


def apply_errors(form: forms.Form, exc: errors.ValidationError,
                 aliases: dict[str, str] | None = None) -> None:
    """Put a service's field errors on the form; unknown fields become form-wide errors."""
    aliases = aliases or {}
    for name, messages in exc.errors.items():
        target = aliases.get(name, name)
        if target.startswith("custom_fields."):
            target = "cf_" + target.split(".", 1)[1]
        elif target not in form.fields and target.split(".")[0] in form.fields:
            target = target.split(".")[0]  # "phones.1" → the phones field
        for message in messages:
            if target in form.fields:
                form.add_error(target, message)
            else:
                form.add_error(None, f"{name}: {message}" if name not in aliases else message)


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` URL of the request if it points back into this site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return fallback
