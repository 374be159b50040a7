"""Bearer-token authentication with the per-token rate limit.

``VORONKA_API_RATE_LIMIT`` is "<requests>/<seconds>" (default "3000/60"; "0" turns the
limit off). The counter lives on the token row, so it holds across every web process.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer

from voronka.accounts.models import User
from voronka.accounts.services import api_token_authenticate, api_token_hit

from .errors import RateLimited


def rate_limit() -> tuple[int, int]:
    """(requests, window seconds); (0, 0) when unlimited."""
    raw = str(getattr(settings, "VORONKA_API_RATE_LIMIT", "3000/60")).strip()
    if raw in {"", "0", "off", "none"}:
        return 0, 0
    count, _sep, window = raw.partition("/")
    return int(count), int(window or 60)


def bearer_token(request: HttpRequest) -> str:
    value = request.headers.get("Authorization", "")
    scheme, _sep, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        api_token = api_token_authenticate(token.strip())
        if api_token is None:
            return None
        limit, window = rate_limit()
        if limit:
            wait = api_token_hit(token=api_token, limit=limit, window_seconds=window)
            if wait:
                raise RateLimited(wait)
        request.api_token = api_token
        request.user = api_token.user
        return api_token.user
