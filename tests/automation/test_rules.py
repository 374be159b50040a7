"""Rules: validation and permissions, every trigger, conditions, the run log, idempotency."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voronka.activities.models import Task
from voronka.activities.services import task_create
from voronka.automation import conditions
from voronka.automation.models import Rule, RuleRun, SideEffect
from voronka.automation.services import rule_create, rule_delete, rule_set_active, rule_update
from voronka.core.errors import PermissionDenied, ValidationError
from voronka.deals.models import Deal, Transition
from voronka.deals.services import deal_archive, deal_move, deal_update, payment_create
from voronka.notifications.models import Notification
from voronka.pipelines.services import custom_field_create

from ..factories import done_task, make_deal, make_pipeline

TASK = {"type": "create_task", "text": "Договориться о встрече", "kind": "call",
        "due_minutes": 120}


def _rule(actor, pipeline, **spec):
    spec.setdefault("name", "R")
    spec.setdefault("actions", [TASK])
    return rule_create(actor=actor, pipeline=pipeline, **spec)


def _ready(deal, manager):
    deal_update(deal=deal, actor=manager, budget="150000")
    done_task(deal, manager)


# --- validation and permissions -------------------------------------------------------------

def test_only_admin_or_the_teams_head_manage_rules(pipeline, admin, head, manager, other_team):
    with pytest.raises(PermissionDenied):
        _rule(manager, pipeline, trigger="deal_created")
    other = make_pipeline(other_team)
    with pytest.raises(PermissionDenied):
        _rule(head, other, trigger="deal_created")
    assert _rule(head, pipeline, trigger="deal_created").pk
    assert _rule(admin, other, trigger="deal_created").pk


def test_bad_rules_are_refused_naming_the_field(pipeline, head, other_team):
    foreign_stage = make_pipeline(other_team).stages.first()
    cases = [
        ({"trigger": "nope"}, "trigger"),
        ({"trigger": "stage_entered", "stage": foreign_stage.pk}, "stage"),
        ({"trigger": "time_in_stage", "stage": pipeline.stages.first().pk}, "hours"),
        ({"trigger": "time_in_stage", "hours": 0.5}, "hours"),
        ({"trigger": "field_changed", "field": "no_such"}, "field"),
        ({"trigger": "deal_created", "name": " "}, "name"),
        ({"trigger": "deal_created", "actions": []}, "actions"),
        ({"trigger": "deal_created", "actions": [{"type": "fly"}]}, "actions.0.type"),
        ({"trigger": "deal_created", "actions": [{**TASK, "text": ""}]}, "actions.0.text"),
        ({"trigger": "deal_created", "actions": [{**TASK, "kind": "x"}]}, "actions.0.kind"),
        ({"trigger": "deal_created", "actions": [{**TASK, "due_minutes": -5}]},
         "actions.0.due_minutes"),
        ({"trigger": "deal_created", "actions": [{**TASK, "assignee": "user", "user_id": 0}]},
         "actions.0.user_id"),
        ({"trigger": "deal_created", "actions": [{"type": "send_email", "template_id": 999}]},
         "actions.0.template_id"),
        ({"trigger": "deal_created", "actions": [{"type": "set_field", "field": "status",
                                                  "value": "won"}]}, "actions.0.field"),
        ({"trigger": "deal_created", "actions": [{"type": "set_field", "field": "budget",
                                                  "value": "lots"}]}, "actions.0.value"),
        ({"trigger": "deal_created", "actions": [{"type": "webhook", "subscription_id": 9}]},
         "actions.0.subscription_id"),
        ({"trigger": "deal_created", "conditions": [{"field": "budget", "op": "contains",
                                                     "value": "1"}]}, "conditions.0.op"),
        ({"trigger": "deal_created", "conditions": [{"field": "budget", "op": "gt",
                                                     "value": "x"}]}, "conditions.0.value"),
        ({"trigger": "deal_created", "conditions": [{"field": "zzz", "op": "eq"}]},
         "conditions.0.field"),
        ({"trigger": "deal_created", "match": "some"}, "match"),
    ]
    for spec, field in cases:
        with pytest.raises(ValidationError) as exc:
            _rule(head, pipeline, **spec)
        assert field in exc.value.errors, (spec, exc.value.errors)
    assert not Rule.objects.exists()


def test_a_rule_sends_deals_only_to_its_own_teams_or_shared_webhooks(
        pipeline, head, admin, manager, team, other_team, jobs):
    """Another team's endpoint is neither offered nor accepted, and one handed to another team
    after the rule was saved receives nothing."""
    from voronka.integrations.models import WebhookDelivery
    from voronka.integrations.selectors import webhooks_for
    from voronka.integrations.subscriptions import webhook_subscription_create

    def sub(url, team_):
        return webhook_subscription_create(actor=admin, url=url, events=["deal.created"],
                                           team=team_, secret="s3cret-s3cret-s3cret")

    ours, shared, theirs = (sub("https://ours.example/h", team),
                            sub("https://all.example/h", None),
                            sub("https://theirs.example/h", other_team))
    assert list(webhooks_for(team_id=pipeline.team_id)) == [ours, shared]
    with pytest.raises(ValidationError) as exc:
        _rule(head, pipeline, trigger="deal_created",
              actions=[{"type": "webhook", "subscription_id": theirs.pk}])
    assert "actions.0.subscription_id" in exc.value.errors
    _rule(head, pipeline, trigger="deal_created",
          actions=[{"type": "webhook", "subscription_id": ours.pk}])
    ours.team = other_team
    ours.save()
    make_deal(pipeline, manager)
    jobs()
    assert not WebhookDelivery.objects.filter(subscription=ours).exists()
    run = RuleRun.objects.get()
    assert run.actions[0]["outcome"] == "failed"


def test_update_toggle_delete(pipeline, head, manager, jobs):
    rule = _rule(head, pipeline, trigger="deal_created")
    rule_update(actor=head, rule=rule, name="New", trigger="payment_recorded",
                actions=[TASK])
    assert Rule.objects.get().trigger == "payment_recorded"
    rule_set_active(actor=head, rule=rule, is_active=False)
    payment_create(deal=make_deal(pipeline, manager), amount="10", actor=manager)
    jobs()
    assert not RuleRun.objects.exists()
    rule_delete(actor=head, rule=rule)
    assert not Rule.objects.exists()


# --- triggers ---------------------------------------------------------------------------------

def test_stage_entered_and_left(pipeline, stages, head, manager, jobs):
    _rule(head, pipeline, name="in", trigger="stage_entered", stage=stages[1].pk,
          actions=[{"type": "notify", "text": "{{ deal.title }} на {{ deal.stage }}"}])
    _rule(head, pipeline, name="out", trigger="stage_left", stage=stages[0].pk,
          actions=[{"type": "notify", "to": "heads", "text": "ушла со стадии"}])
    _rule(head, pipeline, name="other", trigger="stage_entered", stage=stages[3].pk,
          actions=[{"type": "notify", "text": "never"}])
    deal = make_deal(pipeline, manager, title="Сайт")
    _ready(deal, manager)
    deal_move(deal=deal, to_stage=stages[1], actor=manager)
    jobs()
    texts = set(Notification.objects.values_list("user__email", "text"))
    assert texts == {(manager.email, f"Сайт на {stages[1].name}"),
                     (head.email, "ушла со стадии")}


def test_field_changed_with_conditions(pipeline, head, manager, jobs):
    custom_field_create(actor=head, pipeline=pipeline, name="Тип", code="work_type",
                        kind="choice", choices=["Дизайн", "Сайт"])
    _rule(head, pipeline, trigger="field_changed", field="budget", match="all",
          conditions=[{"field": "budget", "op": "gte", "value": "100000"},
                      {"field": "custom_fields.work_type", "op": "eq", "value": "Сайт"}])
    deal = make_deal(pipeline, manager)
    # Conditions are read when the job runs (the deal as it is then).
    deal_update(deal=deal, actor=manager, budget="200000")  # work type not set: skipped
    jobs()
    deal_update(deal=deal, actor=manager, custom_fields={"work_type": "Сайт"})  # not budget
    jobs()
    deal_update(deal=deal, actor=manager, budget="250000")  # both hold
    jobs()
    assert [r.status for r in RuleRun.objects.order_by("id")] == ["skipped", "success"]
    assert Task.objects.filter(deal=deal).count() == 1


def test_won_lost_and_payment(pipeline, stages, head, manager, jobs):
    for trigger in ("deal_won", "deal_lost", "payment_recorded"):
        _rule(head, pipeline, name=trigger, trigger=trigger,
              actions=[{"type": "notify", "text": trigger}])
    deal = make_deal(pipeline, manager)
    payment_create(deal=deal, amount="100", actor=manager)
    deal_archive(deal=deal, actor=manager, reason=pipeline.loss_reasons.first())
    jobs()
    assert sorted(Notification.objects.values_list("text", flat=True)) == [
        "deal_lost", "payment_recorded"]


def test_lead_captured_and_call_missed_from_the_capture_doors(pipeline, head, manager, jobs):
    from voronka.capture.services import capture_submit, channel_create

    for trigger in ("lead_captured", "call_missed"):
        _rule(head, pipeline, name=trigger, trigger=trigger,
              actions=[{"type": "notify", "text": trigger + ": {{ deal.title }}"}])
    form = channel_create(actor=head, name="Сайт", kind="form", pipeline=pipeline,
                          members=[manager])
    phone = channel_create(actor=head, name="АТС", kind="telephony", pipeline=pipeline,
                           members=[manager])
    capture_submit(channel=form, payload={"name": "Иван", "phone": "+79161110000"})
    capture_submit(channel=phone, payload={"provider_call_id": "c-1", "direction": "inbound",
                                           "from": "+79162220000", "status": "missed"})
    capture_submit(channel=phone, payload={"provider_call_id": "c-2", "direction": "inbound",
                                           "from": "+79162220000", "status": "answered",
                                           "duration": 60})
    jobs()
    texts = sorted(Notification.objects.values_list("text", flat=True))
    assert [t.split(":")[0] for t in texts] == ["call_missed", "lead_captured", "lead_captured"]


def test_a_missed_call_logged_in_the_ui_or_the_api_fires_the_missed_call_rule(
        pipeline, head, manager, jobs):
    """call_log announces a missed inbound call however it was logged; an answered or an
    outbound one is not a missed call."""
    from django.test import Client

    from ..api.conftest import Api

    _rule(head, pipeline, name="missed", trigger="call_missed",
          actions=[{"type": "notify", "text": "missed: {{ deal.title }}"}])
    deal = make_deal(pipeline, manager, title="Окна")
    ui = Client()
    ui.force_login(manager)
    start = timezone.localtime().replace(second=0, microsecond=0) - datetime.timedelta(hours=1)
    for direction, answered in (("inbound", False), ("inbound", True), ("outbound", False)):
        form = {"direction": direction, "phone": "+7 916 123 45 67", "minutes": 0,
                "started_at": start.strftime("%Y-%m-%dT%H:%M")}
        if answered:
            form.update(answered="on", minutes=2)
        r = ui.post(f"/deals/{deal.pk}/calls/", form)
        assert r.status_code == 302, r.content
    api = Api(manager)
    for direction, answered in (("inbound", False), ("inbound", True)):
        r = api.post("/calls", {"direction": direction, "phone": "+7 916 123 45 67",
                                "started_at": start.isoformat(), "answered": answered,
                                "deal_id": deal.pk})
        assert r.status_code == 201, r.content
    jobs()
    assert list(Notification.objects.values_list("text", flat=True)) == ["missed: Окна"] * 2


def test_payment_moves_only_when_the_gate_holds(pipeline, stages, head, manager, jobs):
    """A rule can never move a deal whose gates do not hold: the move goes through deal_move."""
    _rule(head, pipeline, trigger="payment_recorded",
          conditions=[{"field": "stage", "op": "eq", "value": stages[3].pk}],
          actions=[{"type": "move_next"}, {"type": "notify", "text": "в работу"}])
    deal = make_deal(pipeline, manager, budget="1000")
    deal.refresh_from_db()
    Deal.objects.filter(pk=deal.pk).update(stage=stages[3])  # place it on "Получаю оплату"
    deal.refresh_from_db()
    payment_create(deal=deal, amount="400", actor=manager)
    jobs()
    run = RuleRun.objects.get()
    assert run.status == "refused"
    line = run.action_lines()[0]
    assert line["outcome"] == "refused" and "100%" in line["detail"]
    assert len(run.actions) == 1  # the notification after a refused move is not sent
    assert Deal.objects.get(pk=deal.pk).stage_id == stages[3].pk
    assert not Notification.objects.exists()
    payment_create(deal=deal, amount="600", actor=manager)
    jobs()
    assert Deal.objects.get(pk=deal.pk).stage_id == stages[4].pk
    tr = Transition.objects.filter(deal=deal).last()
    assert tr.kind == "advance" and tr.by is None and "Automation" in tr.comment
    assert Notification.objects.get().text == "в работу"


def test_move_next_on_last_stage_wins_only_with_its_facts(pipeline, stages, head, manager,
                                                          jobs):
    from voronka.deals.services import deal_fact_confirm

    _rule(head, pipeline, trigger="field_changed", actions=[{"type": "move_next"}])
    deal = make_deal(pipeline, manager, budget="10")
    Deal.objects.filter(pk=deal.pk).update(stage=stages[4])
    deal.refresh_from_db()
    deal_update(deal=deal, actor=manager, source="site")
    jobs()
    assert RuleRun.objects.get().status == "refused"
    deal_fact_confirm(deal=deal, requirement=stages[4].requirements.get(), actor=manager)
    deal_update(deal=deal, actor=manager, source="call")
    jobs()
    assert Deal.objects.get(pk=deal.pk).status == "won"


def test_round_robin_and_set_field(pipeline, head, manager, manager2, jobs):
    _rule(head, pipeline, trigger="deal_created",
          actions=[{**TASK, "assignee": "round_robin"},
                   {"type": "set_field", "field": "source", "value": "robot"}])
    deals = [make_deal(pipeline, head) for _ in range(4)]
    jobs()
    assignees = [Task.objects.get(deal=d).assignee for d in deals]
    assert assignees == [manager, manager2, manager, manager2]
    assert {d.source for d in Deal.objects.all()} == {"robot"}


# --- idempotency and the log --------------------------------------------------------------------

def test_a_job_run_twice_does_not_double_anything(pipeline, head, manager, jobs):
    _rule(head, pipeline, trigger="deal_created",
          actions=[TASK, {"type": "notify", "text": "new"}])
    make_deal(pipeline, manager)
    job = DBTaskResult.objects.get(task_path__endswith="run_rules")
    args = job.args_kwargs["args"]
    jobs()
    # The worker died after doing the work but before recording it: the job runs again.
    RuleRun.objects.update(status="running", actions=[])
    from voronka.automation.tasks import run_rules

    run_rules.call(*args)
    assert Task.objects.count() == 1 and Notification.objects.count() == 1
    run = RuleRun.objects.get()
    assert run.status == "success"
    assert [a["outcome"] for a in run.actions] == ["already", "already"]
    assert SideEffect.objects.count() == 2


def test_loop_protection_stops_rules_feeding_each_other(pipeline, head, manager, jobs):
    custom_field_create(actor=head, pipeline=pipeline, name="Флаг", code="flag", kind="text")
    _rule(head, pipeline, name="A", trigger="field_changed", field="custom_fields.flag",
          conditions=[{"field": "custom_fields.flag", "op": "eq", "value": "off"}],
          actions=[{"type": "set_field", "field": "custom_fields.flag", "value": "on"}])
    _rule(head, pipeline, name="B", trigger="field_changed", field="custom_fields.flag",
          conditions=[{"field": "custom_fields.flag", "op": "eq", "value": "on"}],
          actions=[{"type": "set_field", "field": "custom_fields.flag", "value": "off"}])
    deal = make_deal(pipeline, manager)
    deal_update(deal=deal, actor=manager, custom_fields={"flag": "off"})
    jobs()
    runs = list(RuleRun.objects.order_by("id").values_list("rule__name", "status"))
    assert ("A", "success") in runs and ("B", "success") in runs
    assert ("A", "loop") in runs and ("B", "loop") in runs
    # The cascade ended by itself (jobs() returned: no job left) after a few runs.
    assert len(runs) <= 10
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_runs_appear_on_the_timeline(pipeline, head, manager, jobs):
    from voronka.deals.selectors import deal_timeline

    _rule(head, pipeline, name="Classify", trigger="deal_created", actions=[TASK])
    _rule(head, pipeline, name="Never", trigger="deal_created",
          conditions=[{"field": "budget", "op": "gt", "value": "1"}], actions=[TASK])
    deal = make_deal(pipeline, manager)
    jobs()
    entries = [e for e in deal_timeline(user=manager, deal=deal) if e.kind == "automation"]
    assert len(entries) == 1  # a run whose conditions did not hold is not news
    assert entries[0].summary["rule"] == "Classify"
    assert entries[0].summary["status"] == "success"


# --- time triggers ---------------------------------------------------------------------------

def test_time_in_stage_fires_when_the_deal_is_still_there(pipeline, stages, head, manager,
                                                          jobs):
    _rule(head, pipeline, trigger="time_in_stage", stage=stages[0].pk, hours=2,
          actions=[{"type": "notify", "text": "застряла"}])
    jobs()  # the new rule's backfill: nothing to schedule yet
    past = timezone.now() - datetime.timedelta(hours=3)
    stuck = make_deal(pipeline, manager, created_at=past)
    moved = make_deal(pipeline, manager, created_at=past)
    _ready(moved, manager)
    deal_move(deal=moved, to_stage=stages[1], actor=manager)
    fresh = make_deal(pipeline, manager)
    jobs()
    assert list(Notification.objects.values_list("deal_id", flat=True)) == [stuck.pk]
    # The fresh deal's check waits for its time.
    waiting = DBTaskResult.objects.filter(status="READY", task_path__endswith="in_stage")
    assert waiting.count() == 1
    assert waiting.get().args_kwargs["args"][1] == fresh.pk


def test_time_in_stage_uses_the_stage_limit(pipeline, stages, head, manager, jobs):
    from voronka.pipelines.services import stage_update

    stage_update(actor=head, stage=stages[0], time_limit_hours=1)
    _rule(head, pipeline, trigger="time_in_stage",
          actions=[{"type": "notify", "text": "{{ deal.title }}: срок этапа истёк"}])
    make_deal(pipeline, manager, title="A", created_at=timezone.now() - datetime.timedelta(
        minutes=90))
    jobs()
    assert Notification.objects.get().text == "A: срок этапа истёк"


def test_new_time_rule_schedules_existing_deals(pipeline, stages, head, manager, jobs):
    deal = make_deal(pipeline, manager, created_at=timezone.now() - datetime.timedelta(hours=1))
    _rule(head, pipeline, trigger="time_in_stage", hours=5, actions=[TASK])
    jobs()
    check = DBTaskResult.objects.get(status="READY")
    assert check.args_kwargs["args"][1] == deal.pk
    expected = deal.stage_entered_at + datetime.timedelta(hours=5)
    assert abs((check.run_after - expected).total_seconds()) < 1


def test_task_overdue(pipeline, head, manager, jobs):
    _rule(head, pipeline, trigger="task_overdue", actions=[{"type": "notify", "to": "heads",
                                                           "text": "просрочено"}])
    deal = make_deal(pipeline, manager)
    late = task_create(actor=manager, deal=deal, text="Позвонить",
                       due_at=timezone.now() - datetime.timedelta(minutes=1))
    done = task_create(actor=manager, deal=deal, text="Отправить КП",
                       due_at=timezone.now() - datetime.timedelta(minutes=1))
    from voronka.activities.services import task_complete

    task_complete(task=done, actor=manager)
    task_create(actor=manager, deal=deal, text="Later",
                due_at=timezone.now() + datetime.timedelta(days=1))
    jobs()
    assert Notification.objects.get().user == head
    assert RuleRun.objects.get().event_key.startswith(f"overdue:{late.pk}:")


def test_conditions_evaluate_every_kind(pipeline, head, manager):
    custom_field_create(actor=head, pipeline=pipeline, name="Дата", code="d", kind="date")
    custom_field_create(actor=head, pipeline=pipeline, name="Да", code="yes", kind="boolean")
    deal = make_deal(pipeline, manager, budget="500", source="Сайт",
                     custom_fields={"d": "2025-03-01", "yes": False})
    deal = Deal.objects.get(pk=deal.pk)
    kinds = conditions.kinds_for(pipeline.pk)

    def ok(*conds, match="all"):
        return conditions.holds(deal, conditions.clean(pipeline, list(conds)), match, kinds)

    assert ok({"field": "budget", "op": "gt", "value": "499.99"})
    assert not ok({"field": "budget", "op": "lt", "value": "500"})
    assert ok({"field": "source", "op": "eq", "value": "сайт"})
    assert ok({"field": "source", "op": "contains", "value": "ай"})
    assert ok({"field": "owner", "op": "eq", "value": manager.pk})
    assert ok({"field": "company", "op": "empty"})
    assert ok({"field": "custom_fields.d", "op": "lt", "value": "2025-04-01"})
    assert ok({"field": "custom_fields.yes", "op": "eq", "value": "нет"})
    assert ok({"field": "custom_fields.yes", "op": "not_empty"})
    assert not ok({"field": "utm_source", "op": "not_empty"})
    assert ok({"field": "utm_source", "op": "not_empty"}, {"field": "budget", "op": "gte",
                                                           "value": Decimal("500")}, match="any")
    assert ok()


def test_a_correction_does_not_rerun_stage_rules(pipeline, stages, admin, head, manager, jobs):
    from voronka.deals.services import deal_correct

    _rule(head, pipeline, trigger="stage_entered", actions=[{"type": "notify", "text": "in"}])
    deal = make_deal(pipeline, manager)
    _ready(deal, manager)
    deal_move(deal=deal, to_stage=stages[1], actor=manager)
    jobs()
    deal_correct(deal=deal, to_stage=stages[0], actor=admin, reason="moved by mistake")
    jobs()
    # Entered on creation and on the move; the correction back is not news for the rules.
    assert Notification.objects.count() == 2


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(budget=st.booleans(), meeting=st.booleans(), via_win=st.booleans())
def test_a_rule_never_moves_a_deal_whose_facts_do_not_hold(pipeline, stages, head, manager,
                                                           jobs, budget, meeting, via_win):
    """Whatever the facts, a rule's move goes through the gates: the deal moves exactly when
    the stage's exit facts hold, and every automated transition had them."""
    from voronka.deals.gates import missing_facts

    Rule.objects.all().delete()
    _rule(head, pipeline, trigger="field_changed", field="source",
          actions=[{"type": "move_next"}])
    deal = make_deal(pipeline, manager)
    if via_win:  # the last stage: "next" is the win, which needs that stage's facts
        Deal.objects.filter(pk=deal.pk).update(stage=stages[-1])
        deal.refresh_from_db()
    if budget:
        deal_update(deal=deal, actor=manager, budget="1000")
    if meeting and via_win:
        from voronka.deals.services import deal_fact_confirm

        deal_fact_confirm(deal=deal, requirement=stages[-1].requirements.get(), actor=manager)
    elif meeting:
        done_task(deal, manager)
    deal.refresh_from_db()
    held = not missing_facts(deal, [deal.stage])
    deal_update(deal=deal, actor=manager, source="web")  # the trigger
    jobs()
    after = Deal.objects.get(pk=deal.pk)
    moved = after.stage_id != deal.stage_id or after.status != deal.status
    assert moved == held
    run = RuleRun.objects.get(deal=deal)
    assert run.status == ("success" if held else "refused")


def test_the_admin_timeline_reads_rule_runs_e_mails_and_facts(pipeline, stages, head, manager,
                                                              admin, jobs):
    """The admin deal page's timeline had no line for a rule run (it raised KeyError)."""
    from voronka.deals.admin import timeline_rows
    from voronka.deals.services import deal_fact_confirm
    from voronka.pipelines.models import StageRequirement

    _rule(head, pipeline, name="Письмо", trigger="stage_entered", stage=stages[1].pk,
          actions=[{"type": "notify", "text": "{{ deal.title }}"}])
    deal = make_deal(pipeline, manager, title="Сайт")
    _ready(deal, manager)
    deal_move(deal=deal, to_stage=stages[1], actor=manager)
    jobs()
    fact = StageRequirement.objects.filter(stage=stages[1], kind="fact_confirmed").first()
    deal_fact_confirm(deal=deal, requirement=fact, actor=manager, comment="письмо клиента")
    rows = timeline_rows(admin, deal)
    texts = {row["label"]: row["text"] for row in rows}
    assert texts["Automation"].startswith("Письмо: ")
    assert texts["Fact confirmed"] == f"{fact.fact_name} — письмо клиента"
