"""The rule editor: stage limits in days, broken placeholders refused, the due time's error
in the unit typed."""

import pytest

from voronka.automation.models import Rule
from voronka.automation.services import rule_create
from voronka.core.errors import ValidationError
from voronka.pipelines.services import stage_update

TASK = {"type": "create_task", "text": "Договориться о встрече", "kind": "call",
        "due_minutes": 120}


def _post(client, url, **extra):
    data = {"name": "Новая заявка", "trigger": "deal_created", "match": "all",
            "is_active": "1", "act-0-type": "create_task", "act-0-text": "Позвонить",
            "act-0-kind": "call", "act-0-due_value": "2", "act-0-due_unit": "hours",
            "act-0-assignee": "owner", "_save": "1", **extra}
    return client.post(url, data)


# --- 3. stage limits as the pipeline editor says them ---------------------------------------

@pytest.mark.parametrize(("language", "shown", "hidden"), [
    ("en", "(limit 21 days)", "504"),
    ("ru", "(лимит 21 день)", "504 ч"),
])
def test_the_stage_menu_shows_whole_days_as_days(client, pipeline, stages, head, language,
                                                 shown, hidden):
    stage_update(actor=head, stage=stages[1], time_limit_hours=504)
    stage_update(actor=head, stage=stages[2], time_limit_hours=36)
    head.language = language
    head.save(update_fields=["language"])
    client.force_login(head)
    html = client.post(f"/settings/automation/pipelines/{pipeline.pk}/rules/new/", {
        "name": "", "trigger": "time_in_stage", "_refresh": "1"}).content.decode()
    assert f"{stages[1].name} {shown}" in html and hidden not in html
    assert ("(limit 36 hours)" if language == "en" else "(лимит 36 часов)") in html


def test_the_rule_list_says_a_rules_own_time_in_days(client, pipeline, head):
    rule_create(actor=head, pipeline=pipeline, name="Застряла", trigger="time_in_stage",
                hours=72, actions=[TASK])
    client.force_login(head)
    html = client.get(f"/settings/automation/pipelines/{pipeline.pk}/").content.decode()
    assert ", 3 days" in html and "72 hours" not in html


# --- 4. broken placeholders are refused, naming the field -----------------------------------

@pytest.mark.parametrize("text", ["Позвонить {{ deal.title ", "{% load x %}Позвонить",
                                  "Позвонить {{ Deal.Title }}", "Позвонить }}", "{# x #}"])
@pytest.mark.parametrize("kind", ["create_task", "notify"])
def test_a_broken_placeholder_in_a_rules_text_is_refused(pipeline, head, text, kind):
    action = {**TASK, "text": text} if kind == "create_task" else {"type": "notify",
                                                                   "text": text}
    with pytest.raises(ValidationError) as exc:
        rule_create(actor=head, pipeline=pipeline, name="R", trigger="deal_created",
                    actions=[{"type": "move_next"}, action])
    assert list(exc.value.errors) == ["actions.1.text"]
    assert not Rule.objects.exists()


def test_an_unknown_variable_in_a_rules_text_is_refused(pipeline, head):
    with pytest.raises(ValidationError) as exc:
        rule_create(actor=head, pipeline=pipeline, name="R", trigger="deal_created",
                    actions=[{**TASK, "text": "Позвонить {{ deal.nonsense }}"}])
    assert "deal.nonsense" in exc.value.errors["actions.0.text"][0]
    ok = rule_create(actor=head, pipeline=pipeline, name="R", trigger="deal_created",
                     actions=[{**TASK, "text": "Позвонить {{ contact.name }} {{ custom.x }}"}])
    assert ok.pk


def test_the_editor_shows_the_syntax_error_on_the_text_and_saves_nothing(client, pipeline,
                                                                        head):
    client.force_login(head)
    url = f"/settings/automation/pipelines/{pipeline.pk}/rules/new/"
    response = _post(client, url, **{"act-0-text": "Позвонить {{ deal.title "})
    assert response.status_code == 422
    html = response.content.decode()
    assert ("“{{ deal.title” is not a variable: write it as {{ deal.title }}"
            in html.replace("&#x27;", "'").replace("&quot;", '"'))
    assert 'has-error" style="flex:2"' in html  # on the text field of the row
    assert not Rule.objects.exists()


# --- 5. the due time's error names the unit typed -------------------------------------------

@pytest.mark.parametrize(("value", "unit", "message"), [
    ("-3", "days", "Enter whole days from 0 to a year."),
    ("1.5", "hours", "Enter whole hours from 0 to a year."),
    ("9000", "hours", "Enter whole hours from 0 to a year."),  # 375 days: over a year
    ("-1", "minutes", "Enter whole minutes from 0 to a year."),
])
def test_the_due_time_error_names_the_unit_typed(client, pipeline, head, value, unit, message):
    client.force_login(head)
    url = f"/settings/automation/pipelines/{pipeline.pk}/rules/new/"
    response = _post(client, url, **{"act-0-due_value": value, "act-0-due_unit": unit})
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html and html.count("Enter whole") == 1
    assert not Rule.objects.exists()


def test_a_year_of_days_is_accepted(client, pipeline, head):
    client.force_login(head)
    url = f"/settings/automation/pipelines/{pipeline.pk}/rules/new/"
    assert _post(client, url, **{"act-0-due_value": "366", "act-0-due_unit": "days"}
                 ).status_code == 302
    assert Rule.objects.get().actions[0]["due_minutes"] == 366 * 1440
    assert "due_unit" not in Rule.objects.get().actions[0]
