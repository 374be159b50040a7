"""Facts about an HTTP request that several doors need."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the socket's, or — behind ``VORONKA_PROXY_HOPS`` reverse proxies
    that each append the address they saw to X-Forwarded-For — the one the outermost trusted
    proxy saw. Entries further left were written by the client and are not trusted."""
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    hops = int(getattr(settings, "VORONKA_PROXY_HOPS", 0) or 0)
    if hops <= 0:
        return remote
    chain = [part for part in (request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",")
             if part.strip()]
    if len(chain) < hops:
        return remote  # not (fully) proxied as configured: the socket is what we know
    return _address(chain[-hops]) or remote
