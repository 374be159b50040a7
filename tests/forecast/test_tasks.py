"""The jobs: the daily risk check and nightly training queue their next run exactly once."""

from decimal import Decimal

from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from voronka.forecast.models import WinModel
from voronka.forecast.tasks import check_plans_at_risk, schedule_all


def test_schedule_is_not_doubled(db):
    assert schedule_all() == ["check_plans_at_risk", "retrain_win_models"]
    assert schedule_all() == []
    assert DBTaskResult.objects.filter(status="READY").count() == 2


def test_job_runs_and_queues_the_next(plain, seller, history_fn):
    result = check_plans_at_risk.call()
    assert result == 0
    assert DBTaskResult.objects.filter(task_path=check_plans_at_risk.module_path,
                                       status="READY").count() == 1


def test_train_command(plain, seller, manager, history_fn, capsys):
    history_fn(plain, seller, won=12, lost_first=14)
    history_fn(plain, manager, won=8, lost_first=10, days_ago=30, budget=Decimal("50000"))
    call_command("train", "--schedule")
    out = capsys.readouterr().out
    assert "Brier" in out and "queued: check_plans_at_risk, retrain_win_models" in out
    assert WinModel.objects.count() == 1
