"""What automation did stays in the deal's history, worded for the reader: a deleted rule's
runs stay on the timeline; outcomes are stored as data and shown in the reader's language,
time zone and date format."""

import pytest
from django.utils import translation

from voronka.activities.models import Task
from voronka.automation.models import Rule, RuleRun, SideEffect
from voronka.automation.services import rule_create, rule_delete
from voronka.deals.selectors import deal_timeline

from ..factories import make_deal

TASK = {"type": "create_task", "text": "Договориться о встрече", "kind": "call",
        "due_minutes": 120}


def _fired(head, pipeline, manager, jobs, name="Классифицировать заявку"):
    rule = rule_create(actor=head, pipeline=pipeline, name=name, trigger="deal_created",
                       actions=[TASK])
    deal = make_deal(pipeline, manager, title="Магазин обуви")
    jobs()
    return rule, deal


# --- 1. deleting a rule keeps what it did ----------------------------------------------------

def test_a_deleted_rules_runs_stay_on_the_deal_page(client, pipeline, head, manager, jobs):
    rule, deal = _fired(head, pipeline, manager, jobs)
    run = RuleRun.objects.get()
    assert run.status == "success" and run.rule_name == "Классифицировать заявку"
    effects = set(SideEffect.objects.values_list("key", flat=True))
    assert len(effects) == 1 and Task.objects.filter(deal=deal).count() == 1

    client.force_login(head)
    response = client.post(f"/settings/automation/rules/{rule.pk}/delete/")
    assert response.status_code == 302 and not Rule.objects.exists()

    run.refresh_from_db()
    assert run.rule_id is None and run.rule_name == "Классифицировать заявку"
    assert set(SideEffect.objects.values_list("key", flat=True)) == effects  # the ledger too
    client.force_login(manager)
    page = client.get(f"/deals/{deal.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "«Классифицировать заявку»" in html and f"Task for {manager}, due" in html
    entry = next(e for e in deal_timeline(user=manager, deal=deal) if e.kind == "automation")
    assert entry.summary["rule"] == "Классифицировать заявку" and entry.summary["rule_id"] is None


def test_a_renamed_rule_is_shown_by_its_current_name_and_deleted_by_its_last(
        pipeline, head, manager, jobs):
    from voronka.automation.services import rule_update

    rule, deal = _fired(head, pipeline, manager, jobs, name="Old")
    rule_update(actor=head, rule=rule, name="New", trigger="deal_created", actions=[TASK])
    entry = next(e for e in deal_timeline(user=manager, deal=deal) if e.kind == "automation")
    assert entry.summary["rule"] == "New"
    rule_delete(actor=head, rule=Rule.objects.get())
    entry = next(e for e in deal_timeline(user=manager, deal=deal) if e.kind == "automation")
    assert entry.summary["rule"] == "New"


def test_deleting_the_pipelines_stage_keeps_the_runs_of_its_rules(pipeline, stages, head,
                                                                  manager, jobs):
    """A rule goes with its stage (cascade); its runs stay under the name it had."""
    rule_create(actor=head, pipeline=pipeline, name="На первом этапе", trigger="stage_entered",
                stage=stages[0].pk, actions=[TASK])
    deal = make_deal(pipeline, manager)
    jobs()
    Rule.objects.all().delete()  # what a cascade does: no service involved
    assert RuleRun.objects.get(deal=deal).rule_name == "На первом этапе"


# --- 2. outcomes stored as data, worded when shown ------------------------------------------

def test_outcomes_are_stored_as_data_not_as_text(pipeline, head, manager, jobs):
    _rule, deal = _fired(head, pipeline, manager, jobs)
    task = Task.objects.get(deal=deal)
    detail = RuleRun.objects.get().actions[0]["detail"]
    assert detail == {"code": "task_created", "assignee": str(manager),
                      "assignee_id": manager.pk, "due": task.due_at.isoformat()}


def _run_with(rule, deal, detail):
    return RuleRun.objects.create(rule=rule, rule_name=rule.name, deal=deal, event_key="e1",
                                  trigger="deal_created", status="success", actions=[
                                      {"type": "create_task", "outcome": "done",
                                       "detail": detail}])


@pytest.mark.parametrize(("language", "expected"), [
    # 16:29 UTC is 19:29 in Moscow (the server's zone, UTC+3 all year).
    ("en", "Create a task: done — Task for Ольга Орлова, due 03/05/2027 7:29 p.m."),
    ("ru", "Создать задачу: выполнена — Задача для Ольга Орлова, срок 05.03.2027 19:29"),
])
def test_the_deal_page_words_an_outcome_in_the_readers_language(client, pipeline, head,
                                                                manager, language, expected):
    rule = rule_create(actor=head, pipeline=pipeline, name="R", trigger="deal_won",
                       actions=[TASK])
    deal = make_deal(pipeline, manager)
    _run_with(rule, deal, {"code": "task_created", "assignee": "Ольга Орлова",
                           "due": "2027-03-05T16:29:00+00:00"})
    manager.language = language
    manager.save(update_fields=["language"])
    client.force_login(manager)
    html = client.get(f"/deals/{deal.pk}/").content.decode()
    assert expected in " ".join(html.split())
    assert "2027-03-05" not in html


def test_an_old_plain_text_outcome_still_shows(client, pipeline, head, manager):
    rule = rule_create(actor=head, pipeline=pipeline, name="R", trigger="deal_won",
                       actions=[TASK])
    deal = make_deal(pipeline, manager)
    run = _run_with(rule, deal, "Задача для Ольга Орлова, срок 2026-11-24 19:29")
    RuleRun.objects.filter(pk=run.pk).update(error="The rule ran more than 20 times")
    client.force_login(manager)
    html = client.get(f"/deals/{deal.pk}/").content.decode()
    assert "Задача для Ольга Орлова, срок 2026-11-24 19:29" in html
    assert "The rule ran more than 20 times" in html


def test_every_coded_outcome_has_words_in_both_languages(pipeline, head, manager):
    from voronka.automation import outcomes

    samples = {
        outcomes.EMAIL_QUEUED: ({"subject": "Счёт", "to": "a@b.ru"},
                                "“Счёт” to a@b.ru"),
        outcomes.NOTIFIED: ({"users": ["A", "B"]}, "A, B"),
        outcomes.FIELD_SET: ({"field": "budget", "value": "10"}, "budget = 10"),
        outcomes.MOVED: ({"from": "X", "to": "Y"}, "X → Y"),
        outcomes.WON: ({}, "Deal won"),
        outcomes.WEBHOOK_QUEUED: ({"url": "https://e.x/h"}, "https://e.x/h"),
        outcomes.ALREADY: ({}, "Done by an earlier attempt."),
        outcomes.NO_ASSIGNEE: ({}, "Nobody to give the task to."),
        outcomes.GATE_REFUSED: ({"win": True, "missing": [{"ru": "нет оплаты",
                                                           "en": "no payment"}]},
                                "The deal cannot be won until the last stage's facts hold. "
                                "no payment"),
        outcomes.LOOP_DEPTH: ({"n": 8}, "A chain of 8 rules triggering each other was "
                                        "stopped."),
    }
    for code, (values, english) in samples.items():
        assert outcomes.detail_text({"code": code, **values}) == english, code
    with translation.override("ru"):
        assert outcomes.detail_text({"code": outcomes.GATE_REFUSED, "win": False,
                                     "missing": [{"ru": "нет оплаты", "en": "no payment"}]}
                                    ) == "Сделка не может покинуть этап, пока не выполнены " \
                                         "условия выхода. нет оплаты"
        assert outcomes.detail_text({"code": outcomes.WON}) == "Сделка выиграна"
    # Unreadable data never breaks the page.
    assert outcomes.detail_text({"code": outcomes.TASK_CREATED}) == ""
    assert outcomes.detail_text({"code": "from_the_future", "text": "x"}) == "x"


def test_a_loop_stop_is_worded_for_the_reader(pipeline, head, manager, jobs):
    from voronka.automation.engine import MAX_DEPTH, run_rule
    from voronka.core.events import Cause

    rule = rule_create(actor=head, pipeline=pipeline, name="R", trigger="deal_won",
                       actions=[TASK])
    deal = make_deal(pipeline, manager)
    run = run_rule(rule, deal.pk, event_key="deep", trigger="deal_won",
                   cause=Cause(rule_ids=tuple(range(10_000, 10_000 + MAX_DEPTH))))
    assert run.status == "loop" and run.reason == {"code": "loop_depth", "n": MAX_DEPTH}
    assert run.error_text == f"A chain of {MAX_DEPTH} rules triggering each other was stopped."
