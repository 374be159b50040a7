"""DESIGN rule 5: a deal over its stage's time limit gets its owner reminded, without any rule;
once per stay on the stage, whoever runs the check and however often."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from voronka.automation import limits
from voronka.automation.models import StageLimitReminder
from voronka.automation.tasks import remind_over_limit, schedule_stage_limit_check
from voronka.deals.models import Deal
from voronka.deals.services import deal_archive, deal_move, deal_reopen, deal_update
from voronka.notifications.models import Notification
from voronka.pipelines.services import stage_update

from ..factories import done_task, make_deal, make_pipeline

HOUR = datetime.timedelta(hours=1)


def _limit(head, stages, hours=2):
    stage_update(actor=head, stage=stages[0], time_limit_hours=hours)
    stages[0].refresh_from_db()


def _ago(hours):
    return timezone.now() - hours * HOUR


def test_the_owner_of_a_deal_over_the_limit_is_reminded_once(pipeline, stages, head, manager,
                                                             manager2, jobs):
    _limit(head, stages, hours=2)
    stuck = make_deal(pipeline, manager2, title="Магазин обуви", created_at=_ago(3))
    make_deal(pipeline, manager, title="Свежая", created_at=_ago(1))  # 1 h of 2: not yet
    remind_over_limit.enqueue()
    jobs()
    note = Notification.objects.get()
    assert note.user == manager2 and note.deal == stuck and note.url == f"/deals/{stuck.pk}/"
    assert note.text == ("“Магазин обуви” has stayed on the stage “Договариваюсь о первой "
                         "встрече” longer than its time limit (2 hours).")
    reminder = StageLimitReminder.objects.get()
    assert (reminder.deal, reminder.stage, reminder.entered_at, reminder.limit_hours,
            reminder.owner) == (stuck, stages[0], stuck.stage_entered_at, 2, manager2)
    # The job again, and again: nothing more.
    assert limits.remind_over_limit() == 0
    assert limits.remind_over_limit(now=timezone.now() + 48 * HOUR) == 1  # only the fresh one
    assert limits.remind_over_limit(now=timezone.now() + 48 * HOUR) == 0
    assert Notification.objects.filter(deal=stuck).count() == 1
    assert Notification.objects.count() == StageLimitReminder.objects.count() == 2


def test_two_runs_racing_for_one_deal_remind_once(pipeline, stages, head, manager):
    """Both saw the deal over its limit before either wrote: the second finds the first's
    reminder (the unique stay) and sends nothing."""
    _limit(head, stages)
    deal = make_deal(pipeline, manager, created_at=_ago(5))
    now = timezone.now()
    assert limits._remind(deal.pk, stages[0], deal.stage_entered_at, now) is True
    assert limits._remind(deal.pk, stages[0], deal.stage_entered_at, now) is False
    assert Notification.objects.count() == 1 and StageLimitReminder.objects.count() == 1


def test_a_deal_that_moved_on_or_closed_before_the_job_gets_nothing(pipeline, stages, head,
                                                                   manager, jobs):
    _limit(head, stages)
    moved = make_deal(pipeline, manager, created_at=_ago(3))
    deal_update(deal=moved, actor=manager, budget="150000")
    done_task(moved, manager)
    deal_move(deal=moved, to_stage=stages[1], actor=manager)
    lost = make_deal(pipeline, manager, created_at=_ago(3))
    deal_archive(deal=lost, actor=manager, reason=pipeline.loss_reasons.first())
    assert limits.remind_over_limit() == 0
    # Seen over the limit, but moved on before the reminder was written: nothing either.
    late = make_deal(pipeline, manager, created_at=_ago(3))
    entered = late.stage_entered_at
    deal_update(deal=late, actor=manager, budget="150000")
    done_task(late, manager)
    deal_move(deal=late, to_stage=stages[1], actor=manager)
    assert limits._remind(late.pk, stages[0], entered, timezone.now()) is False
    assert not Notification.objects.exists() and not StageLimitReminder.objects.exists()


def test_a_new_stay_on_the_stage_is_reminded_again(pipeline, stages, head, manager):
    _limit(head, stages)
    deal = make_deal(pipeline, manager, created_at=_ago(10))
    assert limits.remind_over_limit() == 1
    deal_archive(deal=deal, actor=manager, reason=pipeline.loss_reasons.first(), at=_ago(9))
    deal_reopen(deal=deal, actor=manager, at=_ago(5))  # back on the stage 5 h ago
    assert Deal.objects.get(pk=deal.pk).stage_id == stages[0].pk
    assert limits.remind_over_limit() == 1
    assert limits.remind_over_limit() == 0
    assert Notification.objects.filter(user=manager, deal=deal).count() == 2


def test_stages_without_a_limit_and_switched_off_pipelines_are_left_alone(
        team, pipeline, stages, head, manager):
    make_deal(pipeline, manager, created_at=_ago(24 * 400))  # no limit on its stage
    old = make_pipeline(team, name="Старая воронка")
    old_stage = old.stages.order_by("position").first()
    stage_update(actor=head, stage=old_stage, time_limit_hours=1)
    make_deal(old, manager, created_at=_ago(5))
    type(old).objects.filter(pk=old.pk).update(is_active=False)
    assert limits.remind_over_limit() == 0


def test_the_reminder_is_on_the_deals_timeline(client, pipeline, stages, head, manager):
    _limit(head, stages, hours=72)
    deal = make_deal(pipeline, manager, created_at=_ago(80))
    limits.remind_over_limit()
    client.force_login(manager)
    html = client.get(f"/deals/{deal.pk}/").content.decode()
    assert (f"Over the time limit of the stage “{stages[0].name}” (3 days): {manager} "
            "reminded.") in " ".join(html.replace("&quot;", '"').split())


def test_one_chain_of_checks_keeps_itself_going(pipeline, stages, head, manager, jobs,
                                                settings):
    settings.VORONKA_STAGE_LIMIT_CHECK_MINUTES = 15
    _limit(head, stages)
    make_deal(pipeline, manager, created_at=_ago(3))
    waiting = DBTaskResult.objects.filter(task_path__endswith="remind_over_limit",
                                          status="READY")
    assert schedule_stage_limit_check(at=timezone.now()) is True  # a worker starting
    assert schedule_stage_limit_check(at=timezone.now()) is False  # another one: one chain
    assert jobs() == 1 and Notification.objects.count() == 1
    nxt = waiting.get()  # the next check, in 15 minutes
    expected = timezone.now() + datetime.timedelta(minutes=15)
    assert abs((nxt.run_after - expected).total_seconds()) < 5


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_checking_at_once_remind_once(pipeline, head, manager):
    stages = list(pipeline.stages.order_by("position"))
    _limit(head, stages)
    deals = [make_deal(pipeline, manager, created_at=_ago(3)) for _ in range(20)]
    barrier = threading.Barrier(4)
    counts = []

    def worker():
        try:
            barrier.wait()
            counts.append(limits.remind_over_limit())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 20
    assert Notification.objects.count() == StageLimitReminder.objects.count() == 20
    assert sorted(Notification.objects.values_list("deal_id", flat=True)) == sorted(
        d.pk for d in deals)


def test_an_owner_who_cannot_act_is_not_told_and_the_stay_waits_for_one_who_can(
        pipeline, stages, head, admin, manager, manager2, other_team):
    """A deactivated owner, or one moved to another team, gets nothing (and learns nothing of
    the deal); no reminder is recorded, so the owner the deal is handed to is reminded."""
    from voronka.accounts.models import Role
    from voronka.accounts.services import user_update

    _limit(head, stages)
    gone = make_deal(pipeline, manager, title="Ушедший", created_at=_ago(3))
    moved = make_deal(pipeline, manager2, title="Переведённый", created_at=_ago(3))
    user_update(user=manager, actor=admin, is_active=False)
    user_update(user=manager2, actor=admin, role=Role.MARKETER, team=other_team)
    assert limits.remind_over_limit() == 0
    assert not Notification.objects.exists() and not StageLimitReminder.objects.exists()
    deal_update(deal=Deal.objects.get(pk=gone.pk), actor=head, owner=head)
    assert limits.remind_over_limit() == 1
    assert list(Notification.objects.values_list("user_id", "deal_id")) == [(head.pk, gone.pk)]
    assert not Notification.objects.filter(deal=moved).exists()
