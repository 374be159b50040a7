"""schemathesis against our own OpenAPI schema: every operation, positive and negative
inputs, random and real ids. No input may produce a server error, and every error is JSON
with a code. At least 1,000 requests are made (counted, not assumed)."""

import datetime
import os

import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from voronka.activities.services import call_log, task_create
from voronka.crm.services import company_create, contact_create
from voronka.deals.services import deal_contact_attach
from voronka.wsgi import application

from ..factories import make_deal
from .conftest import Api

EXAMPLES = int(os.environ.get("VORONKA_FUZZ_EXAMPLES", "10"))
# Deterministic in CI; VORONKA_FUZZ_RANDOM=1 explores new inputs on each run.
DERANDOMIZE = os.environ.get("VORONKA_FUZZ_RANDOM", "") != "1"
MIN_REQUESTS = 1000


def _world(manager, pipeline):
    now = timezone.now()
    company = company_create(actor=manager, name="ООО Ромашка")
    contact = contact_create(actor=manager, full_name="Иван", phones=["+79161234567"],
                             emails=["ivan@example.com"])
    deal = make_deal(pipeline, manager, company=company, budget="1000")
    deal_contact_attach(deal=deal, contact=contact, actor=manager)
    task = task_create(actor=manager, deal=deal, text="Договориться о встрече",
                       due_at=now + datetime.timedelta(days=1))
    call = call_log(actor=manager, direction="inbound", phone="+79161234567", started_at=now,
                    deal=deal, contact=contact)
    return {"pipelines": pipeline.pk, "deals": deal.pk, "contacts": contact.pk,
            "companies": company.pk, "tasks": task.pk, "calls": call.pk}


def _real_ids(operation, ids):
    resource = operation.path.removeprefix("/api/v1").split("/")[1]
    params = {}
    if "{id}" in operation.path and resource in ids:
        params["id"] = ids[resource]
    if "{contact_id}" in operation.path:
        params["contact_id"] = ids["contacts"]
    return params


def test_no_input_makes_a_server_error(manager, pipeline, stages):
    ids = _world(manager, pipeline)
    auth = {"Authorization": f"Bearer {Api(manager).token}"}
    # Like Django's test client: keep the test's transaction open across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    made = []
    try:
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 30
        for operation in operations:
            strategies = [operation.as_strategy(GenerationMode.POSITIVE),
                          operation.as_strategy(GenerationMode.NEGATIVE)]
            real = _real_ids(operation, ids)
            if real:
                strategies.append(operation.as_strategy(GenerationMode.POSITIVE,
                                                        path_parameters=real))
                strategies.append(operation.as_strategy(GenerationMode.NEGATIVE,
                                                        path_parameters=real))
            for strategy in strategies:
                _run(strategy, auth, made)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    print(f"schemathesis: {len(made)} requests")
    assert len(made) >= MIN_REQUESTS, len(made)


def _run(strategy, auth, made):
    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=DERANDOMIZE,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def check(case):
        response = case.call(headers=auth)
        made.append(response.status_code)
        where = f"{case.method} {case.formatted_path} {case.query} {case.body!r}"
        assert response.status_code < 500, f"{where} -> {response.status_code} " \
                                           f"{response.text[:500]}"
        if response.status_code >= 400:
            body = response.json()
            assert body.get("code"), f"{where} -> {response.text[:300]}"

    check()
