import threading

import pytest
from django.db import connection
from django.test import override_settings

from .conftest import Api


def _hammer(manager, token, threads=8, each=5):
    statuses = []

    def run():
        try:
            client = Api(manager, token)
            statuses.extend(client.get("/me").status_code for _ in range(each))
        finally:
            connection.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return statuses


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@override_settings(VORONKA_API_RATE_LIMIT="10/3600")
def test_the_limit_holds_exactly_under_concurrency(manager):
    token = Api(manager).token
    statuses = _hammer(manager, token)
    assert statuses.count(200) == 10 and statuses.count(429) == 30


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@override_settings(VORONKA_API_RATE_LIMIT="100000/60")
def test_a_generous_limit_never_refuses_concurrent_requests(manager):
    token = Api(manager).token
    assert set(_hammer(manager, token)) == {200}
