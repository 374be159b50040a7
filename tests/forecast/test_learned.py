"""The learned win probability: calibration on synthetic data with known probabilities, and
training, storing and using the model on a real history."""

import math
import random
from decimal import Decimal

import pytest

from voronka.deals.services import deal_create
from voronka.forecast import learned
from voronka.forecast.models import WinModel
from voronka.forecast.selectors import build_prospect


def _synthetic(n: int, seed: int):
    rng = random.Random(seed)
    rows, labels, truth = [], [], []
    for _ in range(n):
        days = rng.uniform(0, 60)
        calls = rng.uniform(0, 120)
        stage = rng.choice(["1", "2", "3"])
        z = -1.5 + {"1": 0.0, "2": 0.8, "3": 1.6}[stage] - 0.04 * days + 0.015 * calls
        p = 1 / (1 + math.exp(-z))
        rows.append({"stage": stage, "source": rng.choice(["site", "call"]), "owner": "7",
                     "stage_index": int(stage) - 1, "days_in_stage": days, "age_days": days,
                     "log_budget": 11.0, "tasks_done": 0, "call_minutes": calls})
        labels.append(1 if rng.random() < p else 0)
        truth.append(p)
    return rows, labels, truth


def test_calibrated_on_known_probabilities():
    rows, labels, truth = _synthetic(5000, 1)
    model = learned.fit(rows[:4000], labels[:4000])
    predicted = learned.predict(model, rows[4000:])
    # Per decile of the prediction, the mean prediction matches the mean true probability
    # and the observed win rate.
    pairs = sorted(zip(predicted, truth[4000:], labels[4000:], strict=True))
    for k in range(10):
        chunk = pairs[k * 100:(k + 1) * 100]
        mean_p = sum(p for p, _t, _y in chunk) / 100
        mean_t = sum(t for _p, t, _y in chunk) / 100
        rate = sum(y for _p, _t, y in chunk) / 100
        assert abs(mean_p - mean_t) < 0.05
        assert abs(mean_p - rate) < 0.16  # 100 coin flips: ±3 standard deviations
    assert max(abs(p - t) for p, t, _y in pairs) < 0.12
    # It beats the stage baseline, which ignores days and calls.
    base = learned.stage_baseline(rows[:4000], labels[:4000])
    model_score = learned.scores(labels[4000:], predicted)
    base_score = learned.scores(labels[4000:], [base[r["stage"]] for r in rows[4000:]])
    assert model_score["brier"] < base_score["brier"]
    assert model_score["auc"] > base_score["auc"]


def test_train_store_and_use(plain, seller, manager, history_fn):
    history_fn(plain, seller, won=12, lost_first=14)
    history_fn(plain, manager, won=8, lost_first=10, days_ago=30, budget=Decimal("50000"))
    result = learned.train(plain)
    assert result.reason == "ok"
    stored = WinModel.objects.get()
    assert set(stored.metrics) >= {"model", "baseline", "train", "test", "split_at"}
    assert stored.metrics["train"] + stored.metrics["test"] == 44
    assert stored.in_use == (stored.metrics["model"]["brier"]
                             < stored.metrics["baseline"]["brier"])
    deal = deal_create(actor=seller, pipeline=plain, owner=seller, title="Open",
                       budget=Decimal("70000"))
    p = learned.deal_probabilities(stored, [deal.pk])[deal.pk]
    assert 0 < p < 1
    WinModel.objects.update(in_use=True)
    prospect = build_prospect(plain, seller)
    assert prospect.uses_model
    assert prospect.deals[0].probability == pytest.approx(p, abs=1e-4)  # a moment later


def test_too_few_deals(plain, seller, history_fn):
    history_fn(plain, seller, won=3, lost_first=3)
    result = learned.train(plain)
    assert result.model is None and "40" in result.reason
    assert not WinModel.objects.exists()


def test_deal_page_and_model_screen(client, plain, seller, manager, head, history_fn):
    history_fn(plain, seller, won=12, lost_first=14)
    history_fn(plain, manager, won=8, lost_first=10, days_ago=30, budget=Decimal("50000"))
    deal = deal_create(actor=seller, pipeline=plain, owner=seller, title="Open",
                       budget=Decimal("70000"))
    client.force_login(seller)
    assert "Win probability (model)" not in client.get(f"/deals/{deal.pk}/").content.decode()
    client.force_login(head)
    assert client.post("/forecast/model/", {"pipeline": plain.pk}).status_code == 302
    assert WinModel.objects.count() == 1
    client.force_login(seller)
    assert client.post("/forecast/model/", {"pipeline": plain.pk}).status_code == 404
    html = client.get(f"/deals/{deal.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Win probability" in html and "%" in html
    screen = client.get(f"/forecast/model/?pipeline={plain.pk}").content.decode()
    assert "Brier" in screen and "AUC" in screen
