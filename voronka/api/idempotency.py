"""``Idempotency-Key`` on POST: the first answer is stored and replayed to retries.

The key is scoped to the token's user. A retry with the same key and the same request gets
the stored answer (header ``Idempotent-Replayed: true``) and nothing runs again; the same key
with another method, path or body answers 422. The record is written in the same
transaction as the work, so two concurrent requests with one key do the work once: the
second waits on the unique key and then replays. Only successful answers are kept (a
refused request changed nothing, so running it again is safe).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.decorators import _apply_decorators

from voronka.accounts.services import api_token_digest

from .auth import bearer_token
from .errors import error_response
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"


def _ttl() -> datetime.timedelta:
    return datetime.timedelta(hours=getattr(settings, "VORONKA_IDEMPOTENCY_HOURS", 24))


class _Discard(Exception):
    """Rolls the record back when the wrapped request did not succeed."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__()
        self.response = response


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b" " + request.get_full_path().encode() + b"\n")
    digest.update(request.body)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> HttpResponse:
    if record.fingerprint != fingerprint:
        return error_response(422, "idempotency_key_reused", _(
            "This Idempotency-Key was used with a different request."),
            errors={HEADER: [_("Use a new key for a new request.")]})
    response = HttpResponse(record.body, status=record.status_code,
                            content_type="application/json; charset=utf-8")
    response["Idempotent-Replayed"] = "true"
    return response


def _user_id(request: HttpRequest) -> int | None:
    from voronka.accounts.models import ApiToken

    raw = bearer_token(request)
    if not raw:
        return None
    return (ApiToken.objects.filter(digest=api_token_digest(raw), revoked_at__isnull=True)
            .values_list("user_id", flat=True).first())


def idempotent(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(run)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        key = request.headers.get(HEADER, "")
        if not key:
            return run(request, *args, **kwargs)
        if len(key) > 255 or not key.isprintable():
            return error_response(422, "validation_error", _("The request is not valid."),
                                  errors={HEADER: [_("At most 255 printable characters.")]})
        user_id = _user_id(request)
        if user_id is None:
            return run(request, *args, **kwargs)  # answers 401 itself
        fingerprint = _fingerprint(request)
        fresh = timezone.now() - _ttl()
        existing = IdempotencyRecord.objects.filter(user_id=user_id, key=key,
                                                    created_at__gte=fresh).first()
        if existing is not None:
            return _replay(existing, fingerprint)
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.filter(user_id=user_id, key=key,
                                                 created_at__lt=fresh).delete()
                record = IdempotencyRecord.objects.create(
                    user_id=user_id, key=key, fingerprint=fingerprint, status_code=0)
                response = run(request, *args, **kwargs)
                if not 200 <= response.status_code < 300:
                    raise _Discard(response)
                record.status_code = response.status_code
                record.body = response.content.decode("utf-8")
                record.save(update_fields=["status_code", "body"])
                return response
        except _Discard as discarded:
            return discarded.response
        except IntegrityError:
            # Another request with this key committed first: answer what it answered.
            existing = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
            if existing is None or existing.status_code == 0:
                raise
            return _replay(existing, fingerprint)

    return wrapper


def install(api: NinjaAPI) -> None:
    """Wrap every POST operation of ``api``."""
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                if "POST" in operation.methods and not getattr(operation, "_idempotent", False):
                    # Recorded as a run decorator, so the copies ninja binds keep it too.
                    _apply_decorators((idempotent,), operation)
                    operation._idempotent = True
