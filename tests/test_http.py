"""The client's address, with and without trusted reverse proxies."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from voronka.core.http import client_ip


def _req(remote="10.0.0.5", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_proxies_the_socket_address_counts_and_the_header_is_ignored(settings):
    settings.VORONKA_PROXY_HOPS = 0
    assert client_ip(_req(forwarded="1.2.3.4")) == "10.0.0.5"
    assert client_ip(_req(remote="")) is None


@pytest.mark.parametrize(("hops", "forwarded", "expected"), [
    (1, "203.0.113.7", "203.0.113.7"),
    (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),   # the client forged the first entry
    (2, "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
    (1, "not-an-ip", "10.0.0.5"),
    (2, "203.0.113.7", "10.0.0.5"),               # fewer entries than proxies: the socket
    (1, " 2001:db8::1 ", "2001:db8::1"),
])
def test_behind_proxies_the_outermost_trusted_entry_counts(settings, hops, forwarded, expected):
    settings.VORONKA_PROXY_HOPS = hops
    assert client_ip(_req(forwarded=forwarded)) == expected
