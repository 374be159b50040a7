"""Contacts, companies, pipelines, users, teams and activities in the admin: every save goes
through its service, every list through its selector."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from voronka.accounts.models import Role, User
from voronka.activities.models import Call, Note, Task
from voronka.core.models import FieldChange
from voronka.crm.models import Contact, ContactPhone
from voronka.pipelines.models import Pipeline

from .factories import (
    TeamFactory,
    UserFactory,
    done_task,
    make_company,
    make_contact,
    make_deal,
    make_pipeline,
)
from .test_admin import change_url, form_payload, login

pytestmark = pytest.mark.django_db


# --- contacts and companies ----------------------------------------------------------------
def test_contact_phone_is_stored_in_e164(manager):
    client = login(manager)
    data = {"full_name": "Анна Смирнова", "position": "", "company": "",
            "phones": "8 (916) 123-45-67", "emails": " Anna@Example.COM ", "_save": "Save"}
    response = client.post(reverse("admin:crm_contact_add"), data)
    assert response.status_code == 302
    contact = Contact.objects.get(full_name="Анна Смирнова")
    assert list(contact.phones.values_list("number", flat=True)) == ["+79161234567"]
    assert list(contact.emails.values_list("email", flat=True)) == ["anna@example.com"]
    assert contact.owner == manager
    found = client.get(reverse("admin:crm_contact_changelist"), {"q": "8 916 123 45 67"})
    assert list(found.context["cl"].result_list) == [contact]


def test_bad_phone_is_an_error_on_the_phones_field(manager):
    client = login(manager)
    response = client.post(reverse("admin:crm_contact_add"), {
        "full_name": "Борис", "position": "", "company": "", "phones": "+7 916 123-45-67\n12",
        "emails": "", "_save": "Save"})
    assert response.status_code == 200
    assert "12" in str(response.context["adminform"].form.errors["phones"])
    assert not Contact.objects.filter(full_name="Борис").exists()
    assert not ContactPhone.objects.exists()


def test_contact_change_replaces_phones_and_is_audited(manager):
    contact = make_contact(manager, full_name="Вера", phones=["+79160000001"])
    client = login(manager)
    url = reverse("admin:crm_contact_change", args=[contact.pk])
    data = form_payload(client.get(url))
    data["phones"] = "+7 916 000-00-02"
    assert client.post(url, data).status_code == 302
    assert list(contact.phones.values_list("number", flat=True)) == ["+79160000002"]
    assert FieldChange.objects.filter(entity="contact", object_id=contact.pk,
                                      field="phones").exists()


def test_company_is_created_and_changed_by_services(manager):
    client = login(manager)
    response = client.post(reverse("admin:crm_company_add"), {
        "name": "ООО Ромашка", "inn": "123", "website": "", "address": "", "_save": "Save"})
    assert response.context["adminform"].form.errors["inn"]
    response = client.post(reverse("admin:crm_company_add"), {
        "name": "ООО Ромашка", "inn": "7707083893", "website": "", "address": "",
        "_save": "Save"})
    assert response.status_code == 302
    company = make_company(manager, name="ООО Лютик")
    url = reverse("admin:crm_company_change", args=[company.pk])
    data = form_payload(login(manager).get(url))
    data["address"] = "Москва"
    assert login(manager).post(url, data).status_code == 302
    assert FieldChange.objects.filter(entity="company", object_id=company.pk,
                                      field="address", new_value="Москва").exists()


# --- pipelines ------------------------------------------------------------------------------
def pipeline_url(pipeline: Pipeline) -> str:
    return reverse("admin:pipelines_pipeline_change", args=[pipeline.pk])


def test_pipeline_page_shows_the_linter_findings(head, team):
    pipeline = make_pipeline(team, name="Старая воронка", stages=[
        {"name": "Новая заявка"}, {"name": "Думают"}, {"name": "Переговоры"}])
    page = login(head).get(pipeline_url(pipeline)).content.decode()
    assert "Only 3 stages: a working funnel has 4 to 7." in page
    assert "“Думают” is a pocket" in page
    assert "“Переговоры” is a status" in page
    assert "“Новая заявка” has no exit requirement" in page
    good = login(head).get(pipeline_url(make_pipeline(team, name="B2B 2"))).content.decode()
    assert "is a pocket" not in good and "Only" not in good


def test_pipeline_stages_are_added_renamed_reordered_and_deleted_by_services(head, team):
    pipeline = make_pipeline(team, name="Простая", stages=[
        {"name": "Этап A"}, {"name": "Этап B"}, {"name": "Этап C"}])
    a, b, c = pipeline.stages.order_by("position")
    client = login(head)
    data = form_payload(client.get(pipeline_url(pipeline)))
    rows = {data[f"stages-{i}-id"]: i for i in range(3)}
    data[f"stages-{rows[a.pk]}-name"] = "Этап A1"
    data[f"stages-{rows[c.pk]}-order"] = "1"
    data[f"stages-{rows[a.pk]}-order"] = "2"
    data[f"stages-{rows[b.pk]}-DELETE"] = "on"
    data["stages-3-name"] = "Этап D"
    data["stages-3-probability"] = "50"
    data[f"loss_reasons-{data['loss_reasons-INITIAL_FORMS']}-name"] = "Нет бюджета"
    response = client.post(pipeline_url(pipeline), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    names = list(pipeline.stages.order_by("position").values_list("name", flat=True))
    assert names == ["Этап C", "Этап A1", "Этап D"]
    assert pipeline.loss_reasons.filter(name="Нет бюджета").exists()


def test_refused_stage_delete_changes_nothing(head, manager, team):
    pipeline = make_pipeline(team, name="С делами", stages=[{"name": "Один"}, {"name": "Два"}])
    first = pipeline.stages.order_by("position").first()
    make_deal(pipeline, manager)
    client = login(head)
    data = form_payload(client.get(pipeline_url(pipeline)))
    rows = {data[f"stages-{i}-id"]: i for i in range(2)}
    data[f"stages-{rows[first.pk]}-DELETE"] = "on"
    data["stages-1-name"] = "Два (новое имя)"
    response = client.post(pipeline_url(pipeline), data)
    assert response.status_code == 200
    assert "cannot be deleted" in response.content.decode()
    assert list(pipeline.stages.order_by("position").values_list("name", flat=True)) == [
        "Один", "Два"]


def test_only_admin_or_the_teams_head_change_a_pipeline(manager, pipeline):
    client = login(manager)
    page = client.get(pipeline_url(pipeline))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    refused = client.post(pipeline_url(pipeline), {"_save": "Save"})
    assert refused.status_code == 403
    assert "Only an administrator or the team's head" in html.unescape(refused.content.decode())
    outsider = UserFactory(role=Role.HEAD, team=TeamFactory(name="Другой отдел"))
    assert login(outsider).get(pipeline_url(pipeline)).status_code == 404
    assert login(outsider).get(reverse("admin:pipelines_stage_change", args=[
        pipeline.stages.first().pk])).status_code == 404


def test_pipeline_add_then_requirements_on_the_stage_page(head, team):
    client = login(head)
    response = client.post(reverse("admin:pipelines_pipeline_add"), {
        "team": team.pk, "name": "Двери", "stages": "Выясняю потребность\nЗамеряю проём",
        "loss_reasons": "Дорого\nДолго", "_save": "Save"})
    assert response.status_code == 302
    pipeline = Pipeline.objects.get(name="Двери")
    stage = pipeline.stages.order_by("position").first()
    assert list(pipeline.loss_reasons.values_list("name", flat=True)) == ["Дорого", "Долго"]
    url = reverse("admin:pipelines_stage_change", args=[stage.pk])
    data = form_payload(client.get(url))
    data["requirements-0-kind"] = "fact_confirmed"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "fact_name" in response.context["inline_admin_formsets"][0].formset.errors[0]
    data["requirements-0-fact_name"] = "Замер согласован"
    assert client.post(url, data).status_code == 302
    requirement = stage.requirements.get()
    assert (requirement.kind, requirement.fact_name) == ("fact_confirmed", "Замер согласован")
    data = form_payload(client.get(url))
    data["requirements-0-DELETE"] = "on"
    assert client.post(url, data).status_code == 302
    assert not stage.requirements.exists()


# --- users and teams ------------------------------------------------------------------------
def test_users_are_created_by_user_create_and_a_manager_needs_a_team(admin, team):
    client = login(admin)
    url = reverse("admin:accounts_user_add")
    data = {"email": "New@Example.com", "full_name": "Новый", "role": "manager", "team": "",
            "password1": "Kv4rtal-zaKaz", "password2": "Kv4rtal-zaKaz", "_save": "Save"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["team"]
    assert not User.objects.filter(email="new@example.com").exists()
    response = client.post(url, {**data, "team": team.pk})
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.check_password("Kv4rtal-zaKaz") and user.is_staff and user.team == team


def test_user_change_and_password(admin, manager, other_team):
    client = login(admin)
    url = reverse("admin:accounts_user_change", args=[manager.pk])
    data = form_payload(client.get(url))
    data.update(role="head", team=other_team.pk)
    assert client.post(url, data).status_code == 302
    manager.refresh_from_db()
    assert (manager.role, manager.team) == ("head", other_team)
    password_url = reverse("admin:accounts_user_password", args=[manager.pk])
    response = client.post(password_url, {"password1": "Nov0e-Slovo", "password2": "Nov0e-Slovo",
                                          "usable_password": "true"})
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.check_password("Nov0e-Slovo")


def test_non_admins_cannot_manage_users(head, manager):
    client = login(head)
    assert client.get(reverse("admin:accounts_user_add")).status_code == 403
    url = reverse("admin:accounts_user_change", args=[manager.pk])
    assert client.post(url, {"full_name": "x", "_save": "Save"}).status_code == 403
    password_url = reverse("admin:accounts_user_password", args=[manager.pk])
    assert client.get(password_url).status_code == 403
    own = reverse("admin:accounts_user_change", args=[head.pk])
    data = form_payload(client.get(own))
    assert "role" not in data  # one's own role is not one's own call
    data["full_name"] = "Глава отдела"
    assert client.post(own, data).status_code == 302
    head.refresh_from_db()
    assert head.full_name == "Глава отдела"


def test_teams_are_created_by_team_create(admin, team):
    client = login(admin)
    url = reverse("admin:accounts_team_add")
    response = client.post(url, {"name": team.name, "_save": "Save"})
    assert response.context["adminform"].form.errors["name"]
    assert client.post(url, {"name": "Юристы", "_save": "Save"}).status_code == 302


# --- activities -----------------------------------------------------------------------------
def test_task_created_then_completed_with_a_result(manager, pipeline, stages):
    deal = make_deal(pipeline, manager)
    client = login(manager)
    response = client.post(reverse("admin:activities_task_add"), {
        "deal": deal.pk, "contact": "", "company": "", "kind": "meeting",
        "text": "Договориться о встрече", "assignee": "", "due_at_0": "2030-01-01",
        "due_at_1": "10:00", "_save": "Save"})
    assert response.status_code == 302
    task = Task.objects.get(deal=deal)
    assert task.assignee == manager
    url = reverse("admin:activities_task_change", args=[task.pk])
    response = client.post(url, {"done": "", "result": "Встретились", "_save": "Save"})
    assert response.context["adminform"].form.errors["done"]
    response = client.post(url, {"done": "on", "result": "Встретились", "_save": "Save"})
    assert response.status_code == 302, response.context["errors"]
    task.refresh_from_db()
    assert (task.is_done, task.result) == (True, "Встретились")
    # The completed meeting is a fact the first stage waits for.
    items = client.get(change_url(deal)).context["checklist"]()
    assert [i.done for i in items if i.kind == "task_completed"] == [True]


def test_note_and_call_through_services(manager, pipeline):
    deal = make_deal(pipeline, manager)
    client = login(manager)
    response = client.post(reverse("admin:activities_note_add"), {
        "deal": "", "contact": "", "company": "", "text": "Без предмета", "_save": "Save"})
    assert response.context["adminform"].form.errors["deal"]
    assert client.post(reverse("admin:activities_note_add"), {
        "deal": deal.pk, "contact": "", "company": "", "text": "Звонил сам",
        "_save": "Save"}).status_code == 302
    assert Note.objects.get(deal=deal).author == manager
    response = client.post(reverse("admin:activities_call_add"), {
        "direction": "outbound", "phone": "8 (916) 123-45-67", "started_at_0": "2025-03-01",
        "started_at_1": "12:00", "duration_seconds": "125", "answered": "on",
        "recording_url": "", "deal": deal.pk, "contact": "", "_save": "Save"})
    assert response.status_code == 302
    call = Call.objects.get(deal=deal)
    assert (call.phone, call.stage_id, call.user) == ("+79161234567", deal.stage_id, manager)


def test_activity_lists_are_scoped(manager, manager2, pipeline):
    theirs = make_deal(pipeline, manager2)
    done_task(theirs, manager2)
    mine = make_deal(pipeline, manager)
    done_task(mine, manager)
    client = login(manager)
    listing = client.get(reverse("admin:activities_task_changelist"))
    assert {t.deal_id for t in listing.context["cl"].result_list} == {mine.pk}
    theirs_task = Task.objects.get(deal=theirs)
    url = reverse("admin:activities_task_change", args=[theirs_task.pk])
    assert client.get(url).status_code == 404


def test_head_adds_pipelines_only_for_own_team(head, other_team):
    response = login(head).post(reverse("admin:pipelines_pipeline_add"), {
        "team": other_team.pk, "name": "Чужая", "stages": "", "loss_reasons": "",
        "_save": "Save"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["team"]
    assert not Pipeline.objects.filter(name="Чужая").exists()


def test_custom_fields_are_added_by_custom_field_create(head, pipeline):
    client = login(head)
    data = form_payload(client.get(pipeline_url(pipeline)))
    row = data["custom_fields-INITIAL_FORMS"]
    data.update({f"custom_fields-{row}-name": "Отрасль", f"custom_fields-{row}-kind": "choice",
                 f"custom_fields-{row}-code": "", f"custom_fields-{row}-choices": ""})
    response = client.post(pipeline_url(pipeline), data)
    assert response.status_code == 200
    assert not pipeline.custom_fields.exists()
    data[f"custom_fields-{row}-choices"] = "Розница\nОпт"
    assert client.post(pipeline_url(pipeline), data).status_code == 302
    field = pipeline.custom_fields.get()
    assert (field.kind, field.choices) == ("choice", ["Розница", "Опт"])
