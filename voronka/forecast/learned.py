"""The learned win probability: a logistic regression on closed deals.

Each closed deal is looked at as it stood at one moment of its life (a point between its
creation and its close, fixed per deal so training is reproducible): the furthest stage it had
reached, days on its stage, its age, budget, source, owner, tasks done and call minutes by
then; the label is whether it was won. Open deals are looked at as they stand now.

Evaluation is on a time-based hold-out: the deals closed last (about ``HOLDOUT`` of them:
every deal closed at or after the moment ``split_at``) are kept out of training and scored by
the model and by the baseline — the win rate of the stage the deal had reached, learned on the
same training deals. Brier score (lower is better) and ROC AUC
are stored with the model. The forecast uses the model only where it beat the baseline on the
Brier score; the stored estimator is then refitted on every closed deal.
"""

from __future__ import annotations

import datetime
import math
import pickle
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from voronka.activities.models import Call, Task
from voronka.deals.models import Deal, Transition
from voronka.pipelines.models import Pipeline, Stage

from .models import WinModel

HOLDOUT = 0.25
MIN_DEALS = 40
CATEGORICAL = ["stage", "source", "owner"]
NUMERIC = ["stage_index", "days_in_stage", "age_days", "log_budget", "tasks_done",
           "call_minutes"]
COLUMNS = CATEGORICAL + NUMERIC
STAGE_KINDS = {"created", "advance", "skip", "correction", "reopen", "imported"}


def _snapshot_share(deal_id: int) -> float:
    """A fixed point in (0.05, 0.95) of the deal's life (Knuth's multiplicative hash)."""
    return 0.05 + 0.9 * ((deal_id * 2654435761) % 1000) / 1000


def feature_rows(deals: list[dict], at: dict[int, datetime.datetime]) -> list[dict]:
    """The features of ``deals`` (values of id, stage_id, owner_id, source, budget,
    created_at) as they stood at ``at[deal id]``."""
    ids = [d["id"] for d in deals]
    order = {}
    if deals:
        pipeline_ids = set(Deal.objects.filter(pk__in=ids[:1]).values_list("pipeline_id",
                                                                             flat=True))
        order = {sid: i for i, sid in enumerate(Stage.objects.filter(
            pipeline_id__in=pipeline_ids).order_by("position", "id").values_list("pk", flat=True))}
    moves: dict[int, list[tuple]] = defaultdict(list)
    for row in (Transition.objects.filter(deal_id__in=ids, kind__in=STAGE_KINDS)
                .order_by("at", "id").values_list("deal_id", "at", "to_stage_id")):
        moves[row[0]].append(row[1:])
    tasks: dict[int, list[datetime.datetime]] = defaultdict(list)
    for deal_id, done_at in Task.objects.filter(deal_id__in=ids, is_done=True).values_list(
            "deal_id", "done_at"):
        if done_at:
            tasks[deal_id].append(done_at)
    calls: dict[int, list[tuple]] = defaultdict(list)
    for deal_id, started, secs in Call.objects.filter(deal_id__in=ids).values_list(
            "deal_id", "started_at", "duration_seconds"):
        calls[deal_id].append((started, secs))
    rows = []
    for d in deals:
        t = at[d["id"]]
        stage, entered, furthest = d["stage_id"], d["created_at"], -1
        for when, to_stage in moves.get(d["id"], []):
            if when > t:
                break
            stage, entered = to_stage, when
            furthest = max(furthest, order.get(to_stage, -1))
        furthest = max(furthest, 0)
        rows.append({
            "stage": str(stage), "source": d["source"] or "-", "owner": str(d["owner_id"]),
            "stage_index": furthest,
            "days_in_stage": max(0.0, (t - entered).total_seconds() / 86400),
            "age_days": max(0.0, (t - d["created_at"]).total_seconds() / 86400),
            "log_budget": math.log1p(float(d["budget"])),
            "tasks_done": sum(1 for x in tasks.get(d["id"], []) if x <= t),
            "call_minutes": sum(s for w, s in calls.get(d["id"], []) if w <= t) / 60,
        })
    return rows


def make_estimator():
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    columns = ColumnTransformer([
        ("cat", OneHotEncoder(handle_unknown="ignore"), list(range(len(CATEGORICAL)))),
        ("num", StandardScaler(), list(range(len(CATEGORICAL), len(COLUMNS))))])
    return make_pipeline(columns, LogisticRegression(max_iter=2000, C=1.0))


def _frame(rows: list[dict]):
    import numpy as np

    return np.array([[row[c] for c in COLUMNS] for row in rows], dtype=object)


def fit(rows: list[dict], labels: list[int]):
    estimator = make_estimator()
    estimator.fit(_frame(rows), labels)
    return estimator


def predict(estimator, rows: list[dict]) -> list[float]:
    if not rows:
        return []
    return [float(p) for p in estimator.predict_proba(_frame(rows))[:, 1]]


def stage_baseline(rows: list[dict], labels: list[int]) -> dict[str, float]:
    wins: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row, y in zip(rows, labels, strict=True):
        wins[row["stage"]][0] += y
        wins[row["stage"]][1] += 1
    out = {stage: w / n for stage, (w, n) in wins.items()}
    out["*"] = sum(labels) / len(labels) if labels else 0.0
    return out


def scores(labels: list[int], probs: list[float]) -> dict[str, float | None]:
    from sklearn.metrics import brier_score_loss, roc_auc_score

    auc = roc_auc_score(labels, probs) if len(set(labels)) == 2 else None
    return {"brier": round(float(brier_score_loss(labels, probs)), 5),
            "auc": None if auc is None else round(float(auc), 5)}


@dataclass
class Training:
    model: WinModel | None
    reason: str  # why nothing was stored, or "ok"


def _closed(pipeline: Pipeline) -> list[dict]:
    return list(Deal.objects.filter(pipeline=pipeline).exclude(status=Deal.Status.OPEN)
                .values("id", "stage_id", "owner_id", "source", "budget", "created_at",
                        "closed_at", "status").order_by("closed_at", "id"))


def train(pipeline: Pipeline) -> Training:
    """Train, evaluate on the time-based hold-out, store. Needs ``MIN_DEALS`` closed deals and
    both outcomes on each side of the split."""
    deals = _closed(pipeline)
    if len(deals) < MIN_DEALS:
        return Training(None, f"{len(deals)} closed deals, {MIN_DEALS} needed")
    at = {d["id"]: d["created_at"] + (d["closed_at"] - d["created_at"]) * _snapshot_share(d["id"])
          for d in deals}
    rows = feature_rows(deals, at)
    labels = [1 if d["status"] == Deal.Status.WON else 0 for d in deals]
    cut = int(len(deals) * (1 - HOLDOUT))
    # A split in time: deals closed at the same moment (imports often close many at one
    # midnight) all fall on the hold-out side, so "closed before split_at" is the training set.
    while cut > 0 and deals[cut - 1]["closed_at"] == deals[cut]["closed_at"]:
        cut -= 1
    if len(set(labels[:cut])) < 2 or len(set(labels[cut:])) < 2:
        return Training(None, "both won and lost deals are needed before and after the split")
    model = fit(rows[:cut], labels[:cut])
    base = stage_baseline(rows[:cut], labels[:cut])
    test_model = predict(model, rows[cut:])
    test_base = [base.get(r["stage"], base["*"]) for r in rows[cut:]]
    metrics = {"model": scores(labels[cut:], test_model),
               "baseline": scores(labels[cut:], test_base),
               "train": cut, "test": len(deals) - cut,
               "split_at": deals[cut]["closed_at"].isoformat()}
    in_use = metrics["model"]["brier"] < metrics["baseline"]["brier"]
    final = fit(rows, labels)
    with transaction.atomic():
        stored = WinModel.objects.create(pipeline=pipeline, blob=pickle.dumps(final),
                                         metrics=metrics, in_use=in_use)
        # Keep the last few for the model screen's history; older ones only take space.
        old = WinModel.objects.filter(pipeline=pipeline).order_by("-created_at", "-id")[5:]
        WinModel.objects.filter(pk__in=[m.pk for m in old]).delete()
    return Training(stored, "ok")


_CACHE: dict[int, object] = {}


def latest(pipeline_id: int) -> WinModel | None:
    return WinModel.objects.filter(pipeline_id=pipeline_id).order_by("-created_at",
                                                                      "-id").first()


def _estimator(model: WinModel):
    if model.pk not in _CACHE:
        # Our own bytes, written by ``train`` into our database: never user input.
        _CACHE[model.pk] = pickle.loads(bytes(model.blob))  # noqa: S301
    return _CACHE[model.pk]


def deal_probabilities(model: WinModel, deal_ids: list[int],
                       now: datetime.datetime | None = None) -> dict[int, float]:
    now = now or timezone.now()
    deals = list(Deal.objects.filter(pk__in=deal_ids).values(
        "id", "stage_id", "owner_id", "source", "budget", "created_at"))
    rows = feature_rows(deals, {d["id"]: now for d in deals})
    return dict(zip([d["id"] for d in deals], predict(_estimator(model), rows), strict=True))


def probabilities(pipeline: Pipeline, deal_ids: list[int], *,
                  as_of: datetime.date | None = None) -> dict[int, float]:
    """The model's probabilities for the forecast: {} unless the latest model is in use."""
    model = latest(pipeline.pk)
    if model is None or not model.in_use or not deal_ids:
        return {}
    return deal_probabilities(model, deal_ids)
