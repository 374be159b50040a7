"""Every error the API answers is JSON: ``{"code", "message", "errors"?, "missing"?}``.

Service errors map to statuses here, once, for every route: bad input 422 with field names,
missing exit facts 422 with the structured list, refused moves and conflicts 409, forbidden
403, unknown or invisible objects 404, rate limit 429 with ``Retry-After``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from voronka.core import errors as core

log = logging.getLogger(__name__)


class MissingFactOut(Schema):
    code: str
    stage_id: int
    requirement_id: int | None
    message: dict[str, str]


class ErrorOut(Schema):
    code: str
    message: str
    errors: dict[str, list[str]] | None = None
    missing: list[MissingFactOut] | None = None
    extra: dict[str, Any] | None = None


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def error_response(status: int, code: str, message: str, **body: Any) -> HttpResponse:
    payload = {"code": code, "message": message}
    payload.update({k: v for k, v in body.items() if v is not None})
    return HttpResponse(json.dumps(payload, ensure_ascii=False, default=str), status=status,
                        content_type="application/json; charset=utf-8")


def _field_name(loc: tuple | list) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[2:] if len(parts) > 2 else ["body"]
    elif parts and parts[0] in {"query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def install(api: NinjaAPI) -> None:
    """Register the handlers on ``api``."""

    @api.exception_handler(NinjaValidationError)
    def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            fields.setdefault(_field_name(err.get("loc", ())), []).append(
                str(err.get("msg", "")))
        return error_response(422, "validation_error", _("The request is not valid."),
                              errors=fields)

    @api.exception_handler(core.ValidationError)
    def _service_invalid(request: HttpRequest, exc: core.ValidationError) -> HttpResponse:
        return error_response(422, exc.code, _("The request is not valid."), errors=exc.errors)

    @api.exception_handler(core.GateRefused)
    def _gate(request: HttpRequest, exc: core.GateRefused) -> HttpResponse:
        return error_response(422, exc.code, exc.message,
                              missing=[m.as_dict() for m in exc.missing])

    @api.exception_handler(core.MoveRefused)
    def _refused(request: HttpRequest, exc: core.MoveRefused) -> HttpResponse:
        return error_response(409, exc.code, exc.message)

    @api.exception_handler(core.Conflict)
    def _conflict(request: HttpRequest, exc: core.Conflict) -> HttpResponse:
        return error_response(409, exc.code, exc.message, extra=exc.extra or None)

    @api.exception_handler(core.PermissionDenied)
    def _forbidden(request: HttpRequest, exc: core.PermissionDenied) -> HttpResponse:
        return error_response(403, exc.code, exc.message or _("Forbidden."))

    @api.exception_handler(core.NotFound)
    def _not_found(request: HttpRequest, exc: core.NotFound) -> HttpResponse:
        return error_response(404, "not_found", _("Not found."))

    @api.exception_handler(Http404)
    def _http404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, "not_found", _("Not found."))

    @api.exception_handler(core.ServiceError)
    def _service(request: HttpRequest, exc: core.ServiceError) -> HttpResponse:
        return error_response(400, exc.code, exc.message)

    @api.exception_handler(AuthenticationError)
    def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = error_response(401, "unauthorized",
                                  _("Send a valid API token: Authorization: Bearer <token>."))
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(RateLimited)
    def _limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
        response = error_response(429, "rate_limited",
                                  _("Too many requests; retry after %(s)d seconds.")
                                  % {"s": exc.retry_after})
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return error_response(exc.status_code, "http_error", str(exc))

    @api.exception_handler(Exception)
    def _crash(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("API error on %s %s", request.method, request.path)
        return error_response(500, "server_error", _("Internal error; it has been logged."))
