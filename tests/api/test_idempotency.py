import threading

import pytest
from django.db import connection

from voronka.api.models import IdempotencyRecord
from voronka.deals.models import Deal, Transition

from ..factories import done_task, make_deal
from .conftest import Api


def test_replay_returns_the_stored_answer_and_does_nothing(api, pipeline):
    body = {"title": "Заявка с сайта", "pipeline_id": pipeline.pk}
    first = api.post("/deals", body, **{"Idempotency-Key": "k-1"})
    again = api.post("/deals", body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Deal.objects.count() == 1


def test_same_key_with_another_body_is_refused(api, pipeline):
    api.post("/deals", {"title": "A", "pipeline_id": pipeline.pk}, **{"Idempotency-Key": "k"})
    r = api.post("/deals", {"title": "B", "pipeline_id": pipeline.pk},
                 **{"Idempotency-Key": "k"})
    assert r.status_code == 422 and r.json()["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in r.json()["errors"]
    assert Deal.objects.count() == 1


def test_keys_are_per_user_and_failures_are_not_stored(api, api_for, manager2, pipeline,
                                                       stages, manager):
    body = {"title": "A", "pipeline_id": pipeline.pk}
    api.post("/deals", body, **{"Idempotency-Key": "shared"})
    assert api_for(manager2).post("/deals", body, **{"Idempotency-Key": "shared"}
                                  ).status_code == 201
    assert Deal.objects.count() == 2
    deal = make_deal(pipeline, manager, budget="10")
    key = {"Idempotency-Key": "move-1"}
    refused = api.post(f"/deals/{deal.pk}/move", {"to_stage_id": stages[1].pk}, **key)
    assert refused.status_code == 422
    done_task(deal, manager)
    moved = api.post(f"/deals/{deal.pk}/move", {"to_stage_id": stages[1].pk}, **key)
    assert moved.status_code == 200
    replay = api.post(f"/deals/{deal.pk}/move", {"to_stage_id": stages[1].pk}, **key)
    assert replay.status_code == 200 and replay.json() == moved.json()
    assert Transition.objects.filter(deal=deal, kind="advance").count() == 1
    assert IdempotencyRecord.objects.filter(key="move-1").count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_do_the_work_once(manager, pipeline):
    api_token = Api(manager).token
    body = {"title": "Один раз", "pipeline_id": pipeline.pk}
    results = []

    def send():
        try:
            results.append(Api(manager, api_token).post("/deals", body,
                                                        **{"Idempotency-Key": "race"}))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [201] * 6
    assert len({r.json()["id"] for r in results}) == 1
    assert Deal.objects.filter(title="Один раз").count() == 1
