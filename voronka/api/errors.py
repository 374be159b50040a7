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


# Pydantic's messages are English only: the common ones said in the user's language, by type.
_PYDANTIC: dict[str, Any] = {
    "missing": lambda c: _("This field is required."),
    "int_parsing": lambda c: _("Enter a whole number."),
    "int_type": lambda c: _("Enter a whole number."),
    "int_from_float": lambda c: _("Enter a whole number."),
    "float_parsing": lambda c: _("Enter a number."),
    "float_type": lambda c: _("Enter a number."),
    "decimal_parsing": lambda c: _("Enter a number."),
    "decimal_type": lambda c: _("Enter a number."),
    "bool_parsing": lambda c: _("Enter true or false."),
    "bool_type": lambda c: _("Enter true or false."),
    "string_type": lambda c: _("Enter text."),
    "string_too_long": lambda c: _("At most %(n)d characters.") % {"n": c["max_length"]},
    "string_too_short": lambda c: _("At least %(n)d characters.") % {"n": c["min_length"]},
    "too_long": lambda c: _("At most %(n)d items.") % {"n": c["max_length"]},
    "greater_than_equal": lambda c: _("At least %(n)s.") % {"n": c["ge"]},
    "greater_than": lambda c: _("More than %(n)s.") % {"n": c["gt"]},
    "less_than_equal": lambda c: _("At most %(n)s.") % {"n": c["le"]},
    "less_than": lambda c: _("Less than %(n)s.") % {"n": c["lt"]},
    "date_parsing": lambda c: _("Enter a date as YYYY-MM-DD."),
    "date_type": lambda c: _("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": lambda c: _("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_inexact": lambda c: _("Enter a date as YYYY-MM-DD."),
    "datetime_parsing": lambda c: _("Enter a date and time, e.g. 2026-03-01T10:00:00+03:00."),
    "datetime_type": lambda c: _("Enter a date and time, e.g. 2026-03-01T10:00:00+03:00."),
    "datetime_from_date_parsing":
        lambda c: _("Enter a date and time, e.g. 2026-03-01T10:00:00+03:00."),
    "literal_error": lambda c: _("Choose one of: %(choices)s.") % {"choices": c["expected"]},
    "enum": lambda c: _("Choose one of: %(choices)s.") % {"choices": c["expected"]},
    "json_invalid": lambda c: _("The request body is not valid JSON."),
    "model_type": lambda c: _("Send an object."),
    "dict_type": lambda c: _("Send an object."),
    "model_attributes_type": lambda c: _("Send an object."),
    "list_type": lambda c: _("Send a list."),
    "extra_forbidden": lambda c: _("Unknown field."),
    "value_error": lambda c: str(c["error"]),
}


def _pydantic_message(err: dict[str, Any]) -> str:
    say = _PYDANTIC.get(str(err.get("type", "")))
    try:
        return say(err.get("ctx") or {}) if say else str(err.get("msg", ""))
    except (KeyError, TypeError, ValueError):
        return str(err.get("msg", ""))


def install(api: NinjaAPI) -> None:
    """Register the handlers on ``api``."""

    @api.exception_handler(NinjaValidationError)
    def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            fields.setdefault(_field_name(err.get("loc", ())), []).append(
                _pydantic_message(err))
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
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            return error_response(400, "bad_body", _("The request body is not valid JSON."),
                                  errors={"body": [_("The request body is not valid JSON.")]})
        return error_response(exc.status_code, "http_error", str(exc))

    @api.exception_handler(Exception)
    def _crash(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("API error on %s %s", request.method, request.path)
        return error_response(500, "server_error", _("Internal error; it has been logged."))
