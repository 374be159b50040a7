"""Pages and their forms: status codes, what the services receive, errors naming the field."""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from voronka.activities.models import Call, Note, Task
from voronka.activities.services import task_create
from voronka.deals.models import Deal, DealFact, Payment
from voronka.pipelines.models import LossReason, Stage
from voronka.pipelines.services import custom_field_create

from ..factories import make_deal
from .conftest import login

PAGES = ["board", "deal_list", "deal_new", "task_list", "contact_list", "contact_new",
         "company_list", "company_new"]


@pytest.mark.parametrize("role", ["manager", "head", "admin", "marketer"])
def test_pages_render(role, request, pipeline, deal, contact, company):
    client = login(request.getfixturevalue(role))
    for name in PAGES:
        writes = name in ("deal_new", "contact_new", "company_new")
        expected = 403 if role == "marketer" and writes else 200  # a marketer reads only
        assert client.get(reverse(f"web:{name}")).status_code == expected, name
    staff = 200 if role in ("head", "admin") else 404
    for name in ("settings", "user_list", "pipeline_new"):
        assert client.get(reverse(f"web:{name}")).status_code == staff, name


def test_deal_page_shows_checklist_timeline_and_forms(pipeline, deal, manager):
    html = login(manager).get(reverse("web:deal", args=[deal.pk])).content.decode()
    for text in ("Field “Budget” is filled", "A task “Meeting” is completed", 'id="task-form"',
                 "Created on", "Move to…", "Archive…"):
        assert text in html, text


def test_marketer_reads_deal_without_controls(pipeline, deal, marketer):
    html = login(marketer).get(reverse("web:deal", args=[deal.pk])).content.decode()
    assert 'id="task-form"' not in html and 'id="deal-form"' not in html
    response = login(marketer).post(reverse("web:deal_note_add", args=[deal.pk]),
                                    {"text": "Hi"})
    assert response.status_code == 403 and not Note.objects.exists()


def test_marketer_is_offered_no_task_completion_on_a_deal(pipeline, deal, manager, marketer):
    task_create(actor=manager, deal=deal, assignee=manager, kind="call",
                text="Договориться о встрече", due_at=timezone.now())
    html = login(marketer).get(reverse("web:deal", args=[deal.pk])).content.decode()
    assert "Договориться о встрече" in html and "task-done-form" not in html
    html = login(manager).get(reverse("web:deal", args=[deal.pk])).content.decode()
    assert "task-done-form" in html


def test_edit_fields_and_custom_fields_are_audited(pipeline, deal, manager):
    custom_field_create(actor=None, pipeline=pipeline, name="Объём склада", kind="number",
                        code="volume")
    client = login(manager)
    data = {"title": "Стеллажи, 2 этаж", "budget": "1 250 000,50", "owner": manager.pk,
            "company": "", "source": "Выставка", "cf_volume": "1200", "version": deal.version}
    response = client.post(reverse("web:deal_edit", args=[deal.pk]), data)
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.title == "Стеллажи, 2 этаж" and deal.budget == Decimal("1250000.50")
    assert deal.custom_fields == {"volume": "1200"} and deal.source == "Выставка"
    html = client.get(reverse("web:deal", args=[deal.pk])).content.decode()
    assert "Объём склада" in html and "Стеллажи, 2 этаж" in html


def test_bad_budget_names_the_field(pipeline, deal, manager):
    response = login(manager).post(reverse("web:deal_edit", args=[deal.pk]), {
        "title": deal.title, "budget": "много", "owner": manager.pk, "version": deal.version})
    assert response.status_code == 422
    assert "Enter an amount of money." in response.content.decode()
    deal.refresh_from_db()
    assert deal.budget == 0


def test_stale_edit_is_a_conflict_not_an_overwrite(pipeline, deal, manager):
    response = login(manager).post(reverse("web:deal_edit", args=[deal.pk]), {
        "title": "Новое", "budget": "1", "owner": manager.pk, "version": deal.version + 3})
    assert response.status_code == 422 and "changed by someone else" in response.content.decode()
    deal.refresh_from_db()
    assert deal.title == "Поставка стеллажей"


def test_add_note_payment_call_and_task(pipeline, deal, manager):
    client = login(manager)
    url = lambda name: reverse(f"web:{name}", args=[deal.pk])  # noqa: E731
    assert client.post(url("deal_note_add"), {"text": "Клиент просит КП"}).status_code == 302
    assert client.post(url("deal_payment_add"), {"amount": "5000", "paid_on": "2026-01-10",
                                                 "reference": "Счёт 12"}).status_code == 302
    assert client.post(url("deal_call_add"), {
        "direction": "outbound", "phone": "8 916 123 45 67", "started_at": "2026-01-10T10:00",
        "minutes": "4", "seconds": "30", "answered": "on"}).status_code == 302
    assert client.post(url("deal_task_add"), {
        "kind": "meeting", "text": "Договориться о встрече", "due_at": "2030-01-10T10:00",
        "assignee": ""}).status_code == 302
    assert Note.objects.get(deal=deal).text == "Клиент просит КП"
    assert Payment.objects.get(deal=deal).amount == Decimal("5000.00")
    call = Call.objects.get(deal=deal)
    assert call.duration_seconds == 270 and call.phone == "+79161234567"
    assert Task.objects.get(deal=deal).assignee == manager
    timeline = client.get(url("deal")).content.decode()
    for text in ("Клиент просит КП", "Outbound call", "4 min 30 s", "Task planned"):
        assert text in timeline, text


def test_bad_phone_in_call_form_names_the_field(pipeline, deal, manager):
    response = login(manager).post(reverse("web:deal_call_add", args=[deal.pk]), {
        "direction": "outbound", "phone": "12", "started_at": "2026-01-10T10:00",
        "minutes": "1"})
    assert response.status_code == 422 and "“12” is not a valid phone number." in \
        response.content.decode()
    assert not Call.objects.exists()


def test_task_done_one_click_with_result(pipeline, deal, manager):
    task = task_create(actor=manager, deal=deal, text="Договориться о встрече",
                       due_at=timezone.now() - datetime.timedelta(hours=1))
    task_create(actor=manager, deal=deal, text="Договориться о демо",
                due_at=timezone.now() - datetime.timedelta(hours=2))
    client = login(manager)
    page = client.get(reverse("web:task_list")).content.decode()
    assert 'id="tasks-overdue"' in page and "Договориться о встрече" in page
    assert '<span id="nav-overdue" class="pill pill-danger"' in page
    assert 'id="tasks-count-overdue" class="pill pill-danger">2<' in page
    response = client.post(reverse("web:task_done", args=[task.pk]),
                           {"result": "Встреча в пятницу", "origin": "tasks"},
                           HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "task-done" in html
    # The counters follow: the menu's badge and the group's count, out of band.
    assert 'id="nav-overdue" hx-swap-oob="true" class="pill pill-danger"' in html
    assert 'title="Overdue tasks">1</span>' in html
    assert 'id="tasks-count-overdue" hx-swap-oob="true" class="pill pill-danger">1<' in html
    assert json.loads(response["HX-Trigger"])["toast"]["level"] == "success"  # one more left
    last = Task.objects.get(text="Договориться о демо")
    response = client.post(reverse("web:task_done", args=[last.pk]), {"result": "Демо в среду"},
                           HTTP_HX_REQUEST="true")
    toast = json.loads(response["HX-Trigger"])["toast"]
    assert toast["level"] == "warning" and "has no next step" in toast["message"]
    # Done from the deal page (no origin): the task does not link to the page it is on.
    assert f'href="/deals/{deal.pk}/"' not in response.content.decode()
    task.refresh_from_db()
    assert task.is_done and task.result == "Встреча в пятницу"
    again = client.post(reverse("web:task_done", args=[task.pk]), {}, HTTP_HX_REQUEST="true")
    assert again.status_code == 409


def test_wording_advice_endpoint(manager, deal):
    client = login(manager)
    warn = client.get(reverse("web:task_wording"), {"text": "Мониторинг, созвон"})
    assert "warn" in warn.content.decode() and "мониторинг" in warn.content.decode()
    good = client.get(reverse("web:task_wording"), {"text": "Договориться о созвоне"})
    assert "good" in good.content.decode()
    # The form posts the text: a long one does not fit in an address.
    page = client.get(reverse("web:deal", args=[deal.pk])).content.decode()
    assert f'hx-post="{reverse("web:task_wording")}"' in page
    long = client.post(reverse("web:task_wording"), {"text": "Созвон " + "а" * 9000})
    assert long.status_code == 200 and "созвон" in long.content.decode()
    # The automation editor's task text: another input name, another element to fill.
    named = client.post(reverse("web:task_wording"), {
        "act-0-text": "Мониторинг", "field": "act-0-text", "target": "wording-0"})
    assert 'id="wording-0" class="wording warn"' in named.content.decode()
    odd = client.post(reverse("web:task_wording"), {"text": "x", "target": '"><script>'})
    assert 'id="wording"' in odd.content.decode() and "<script>" not in odd.content.decode()


def test_attach_contact_and_set_company_then_confirm_fact(pipeline, stages, deal, manager,
                                                          contact):
    client = login(manager)
    response = client.post(reverse("web:deal_contact_add", args=[deal.pk]),
                           {"contact": contact.pk, "contact_role": "influencer"})
    assert response.status_code == 302
    assert deal.deal_contacts.get().role == "influencer"
    response = client.post(reverse("web:deal_company", args=[deal.pk]),
                           {"new_company_name": "АО «Север»"})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.company.name == "АО «Север»"
    requirement = stages[1].requirements.get()
    response = client.post(reverse("web:deal_confirm", args=[deal.pk, requirement.pk]))
    assert response.status_code == 302
    assert DealFact.objects.get(deal=deal).requirement == requirement
    response = client.post(reverse("web:deal_contact_remove", args=[deal.pk, contact.pk]))
    assert response.status_code == 302 and not deal.deal_contacts.exists()


def test_new_deal_with_company_and_contact(pipeline, manager):
    client = login(manager)
    response = client.post(reverse("web:deal_new"), {
        "pipeline": pipeline.pk, "title": "Новая сделка", "budget": "90000",
        "new_company_name": "ООО «Луч»", "contact_name": "Ольга", "contact_phone": "+79161112233",
        "source": "Сайт"})
    assert response.status_code == 302
    deal = Deal.objects.get(title="Новая сделка")
    assert deal.company.name == "ООО «Луч»" and deal.budget == Decimal("90000.00")
    assert deal.deal_contacts.get().contact.company == deal.company
    bad = client.post(reverse("web:deal_new"), {"pipeline": pipeline.pk, "title": "Вторая",
                                                "contact_name": "Пётр", "contact_phone": "1"})
    assert bad.status_code == 422 and not Deal.objects.filter(title="Вторая").exists()
    assert "contact_phone" in bad.context["form"].errors
    # A bad phone without a name is an error too, not dropped.
    bad = client.post(reverse("web:deal_new"), {"pipeline": pipeline.pk, "title": "Третья",
                                                "contact_phone": "1"})
    assert bad.status_code == 422 and "contact_phone" in bad.context["form"].errors
    assert not Deal.objects.filter(title="Третья").exists()


def test_a_known_phone_links_the_existing_contact_not_a_second_one(pipeline, manager, manager2):
    from voronka.crm.models import Contact

    client = login(manager)
    client.post(reverse("web:deal_new"), {"pipeline": pipeline.pk, "title": "Первая",
                                          "contact_name": "Ольга", "contact_phone": "+79161112233"})
    olga = Contact.objects.get()
    response = client.post(reverse("web:deal_new"), {
        "pipeline": pipeline.pk, "title": "Повторная", "contact_name": "Ольга Петровна",
        "contact_phone": "8 (916) 111-22-33"})
    assert response.status_code == 302
    assert Deal.objects.get(title="Повторная").deal_contacts.get().contact == olga
    assert Contact.objects.count() == 1
    # Another manager does not see Olga: a contact of their own, nothing of hers revealed.
    login(manager2).post(reverse("web:deal_new"), {
        "pipeline": pipeline.pk, "title": "Чужая", "contact_name": "Ольга",
        "contact_phone": "+7 916 111 22 33"})
    theirs = Deal.objects.get(title="Чужая").deal_contacts.get().contact
    assert theirs != olga and Contact.objects.count() == 2


def test_deal_list_filters_sorts_and_exports(pipeline, manager, manager2):
    for i, budget in enumerate(["300", "100", "200"]):
        make_deal(pipeline, manager, title=f"Моя {i}", budget=budget, source="site")
    make_deal(pipeline, manager2, title="Чужая", budget="999")
    client = login(manager)
    html = client.get(reverse("web:deal_list"), {"sort": "budget"}).content.decode()
    assert html.index("Моя 1") < html.index("Моя 2") < html.index("Моя 0")
    assert "Чужая" not in html
    html = client.get(reverse("web:deal_list"), {"q": "Моя 2"}).content.decode()
    assert "Моя 2" in html and "Моя 0" not in html
    response = client.get(reverse("web:deal_export"), {"sort": "-budget"})
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["ID", "Title"] and [r[1] for r in rows[1:]] == ["Моя 0", "Моя 2",
                                                                           "Моя 1"]
    assert rows[1][5] == "300.00"
    make_deal(pipeline, manager, title="=HYPERLINK(\"http://x\")", budget="1")
    text = b"".join(client.get(reverse("web:deal_export")).streaming_content).decode("utf-8-sig")
    titles = [r[1] for r in csv.reader(io.StringIO(text))]
    assert "'=HYPERLINK(\"http://x\")" in titles  # text in a spreadsheet, not a formula
    # The same list as an Excel workbook: columns whatever the spreadsheet's locale.
    from openpyxl import load_workbook

    response = client.get(reverse("web:deal_export_xlsx"), {"sort": "-budget"})
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("ID", "Title") and "Чужая" not in [r[1] for r in rows]
    assert [r[1] for r in rows[1:4]] == ["Моя 0", "Моя 2", "Моя 1"] and rows[1][5] == 300
    titles = [sheet.cell(r, 2) for r in range(2, sheet.max_row + 1)]
    assert all(cell.data_type != "f" for cell in titles)  # text, not a formula
    assert any("HYPERLINK" in str(cell.value) for cell in titles)


def test_contact_and_company_pages_edit(manager, contact, company):
    client = login(manager)
    response = client.post(reverse("web:contact", args=[contact.pk]), {
        "full_name": "Иван Петров", "position": "Директор", "company": company.pk,
        "phones": "+7 916 123-45-67\n8 (495) 123-45-67", "emails": "IVAN@example.com"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert sorted(contact.phones.values_list("number", flat=True)) == ["+74951234567",
                                                                      "+79161234567"]
    assert contact.emails.get().email == "ivan@example.com"
    bad = client.post(reverse("web:contact", args=[contact.pk]), {
        "full_name": "Иван", "phones": "abc"})
    assert bad.status_code == 422 and "not a phone number" in bad.content.decode()
    response = client.post(reverse("web:company", args=[company.pk]),
                           {"name": "ООО «Ромашка»", "inn": "123"})
    assert response.status_code == 422 and "10 or 12 digits" in response.content.decode()
    assert client.get(reverse("web:contact_list"), {"q": "Иван"}).status_code == 200


def test_pipeline_editor_adds_stage_requirement_reason_field(pipeline, head):
    client = login(head)
    edit = reverse("web:pipeline_edit", args=[pipeline.pk])
    assert client.get(edit).status_code == 200
    r = client.post(reverse("web:stage_add", args=[pipeline.pk]),
                    {"new-name": "Думают", "new-goal": "", "new-time_limit_hours": "48"})
    assert r.status_code == 302
    stage = pipeline.stages.get(name="Думают")
    assert stage.time_limit_hours == 48 and stage.position == 5
    findings = client.get(reverse("web:pipeline_lint", args=[pipeline.pk])).content.decode()
    assert "pocket_stage" in findings and "too_many_stages" not in findings
    preview = client.get(reverse("web:pipeline_lint", args=[pipeline.pk]),
                         {"new-name": "Переговоры"}).content.decode()
    assert "status_stage" in preview and "Переговоры" in preview
    r = client.post(reverse("web:requirement_add", args=[stage.pk]), {
        f"r{stage.pk}-kind": "fact_confirmed", f"r{stage.pk}-fact_name": "Решение принято"})
    assert r.status_code == 302 and stage.requirements.get().fact_name == "Решение принято"
    r = client.post(reverse("web:requirement_add", args=[stage.pk]),
                    {f"r{stage.pk}-kind": "task_completed"})
    assert r.status_code == 422 and "Unknown task kind" in r.content.decode()
    r = client.post(reverse("web:stage_edit", args=[stage.pk]), {
        f"s{stage.pk}-name": "Согласовываю решение", f"s{stage.pk}-goal": "Решение принято",
        f"s{stage.pk}-probability": "60"})
    assert r.status_code == 302
    stage.refresh_from_db()
    assert stage.name == "Согласовываю решение" and stage.probability == 60
    r = client.post(reverse("web:stage_order", args=[pipeline.pk]),
                    {"stage": stage.pk, "direction": "up"})
    stage.refresh_from_db()
    assert r.status_code == 302 and stage.position == 4
    assert client.post(reverse("web:reason_add", args=[pipeline.pk]),
                       {"name": "Нет бюджета"}).status_code == 302
    assert LossReason.objects.filter(pipeline=pipeline, name="Нет бюджета").exists()
    assert client.post(reverse("web:field_add", args=[pipeline.pk]), {
        "name": "Тип склада", "kind": "choice", "choices": "Тёплый\nХолодный"}).status_code == 302
    assert pipeline.custom_fields.get().choices == ["Тёплый", "Холодный"]
    r = client.post(reverse("web:stage_delete", args=[stage.pk]))
    assert r.status_code == 302 and not Stage.objects.filter(pk=stage.pk).exists()


def test_users_admin_manages_everyone(admin, team):
    data = {"new-email": "new@example.com", "new-full_name": "Новый", "new-role": "manager",
            "new-team": team.pk, "new-password": "long-password-1"}
    assert login(admin).post(reverse("web:user_list"), data).status_code == 302
    from voronka.accounts.models import User

    user = User.objects.get(email="new@example.com")
    assert user.team == team and user.check_password("long-password-1")
    r = login(admin).post(reverse("web:user_edit", args=[user.pk]), {
        "full_name": "Новый", "role": "head", "team": team.pk, "is_active": "on"})
    user.refresh_from_db()
    assert r.status_code == 302 and user.role == "head"
    assert login(admin).post(reverse("web:team_add"), {"team-name": "Логистика"}).status_code \
        == 302


def test_a_head_manages_the_managers_and_marketers_of_the_own_team(head, team, manager,
                                                                    other_team, other_manager):
    """Issue 3: settings of users and roles are the administrator's and the head's; a head's
    reach is the own department's managers and marketers."""
    from voronka.accounts.models import User

    client = login(head)
    page = client.get(reverse("web:user_list")).content.decode()
    assert 'name="new-role"' in page and '<option value="head"' not in page
    assert reverse("web:user_edit", args=[manager.pk]) in page
    assert reverse("web:user_edit", args=[head.pk]) not in page
    data = {"new-email": "new@example.com", "new-full_name": "Новая", "new-role": "manager",
            "new-team": team.pk, "new-password": "long-password-1"}
    assert client.post(reverse("web:user_list"), data).status_code == 302
    new = User.objects.get(email="new@example.com")
    assert (new.team, new.role) == (team, "manager")
    for refused in ({**data, "new-email": "x@example.com", "new-role": "head"},
                    {**data, "new-email": "y@example.com", "new-team": other_team.pk}):
        assert client.post(reverse("web:user_list"), refused).status_code in (403, 422)
    assert not User.objects.filter(email__in=["x@example.com", "y@example.com"]).exists()
    # The own team's manager: rename, make a marketer, deactivate; never a head or admin.
    url = reverse("web:user_edit", args=[manager.pk])
    assert client.post(url, {"full_name": "Ольга", "role": "admin", "team": team.pk,
                             "is_active": "on"}).status_code in (403, 422)
    assert client.post(url, {"full_name": "Ольга", "role": "marketer", "team": team.pk}
                       ).status_code == 302
    manager.refresh_from_db()
    assert (manager.full_name, manager.role, manager.is_active) == ("Ольга", "marketer", False)
    assert reverse("web:user_edit", args=[manager.pk]) in client.get(
        reverse("web:user_list")).content.decode()  # inactive, still there to re-activate
    for other in (head, other_manager):
        assert client.get(reverse("web:user_edit", args=[other.pk])).status_code == 404
    assert client.post(reverse("web:team_add"), {"team-name": "Логистика"}).status_code == 403


def test_language_switch(manager):
    client = login(manager)
    client.post(reverse("web:language"), {"language": "en", "next": "/tasks/"})
    assert '<html lang="en">' in client.get(reverse("web:task_list")).content.decode()
    r = client.post(reverse("web:language"), {"language": "ru", "next": "/tasks/"})
    assert r.status_code == 302 and r["Location"] == "/tasks/"
    assert '<html lang="ru">' in client.get(reverse("web:task_list")).content.decode()


def test_the_chosen_language_follows_the_user_to_another_browser(manager):
    login(manager).post(reverse("web:language"), {"language": "ru", "next": "/tasks/"})
    manager.refresh_from_db()
    assert manager.language == "ru"
    fresh = login(manager)  # no cookie; the browser asks for English
    page = fresh.get(reverse("web:task_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="ru">' in page
    fresh.post(reverse("web:language"), {"language": "xx", "next": "/tasks/"})
    manager.refresh_from_db()
    assert manager.language == "ru"  # an unknown code changes nothing


def test_language_switch_on_the_login_page_sets_only_the_cookie(manager):
    from django.test import Client

    client = Client()
    r = client.post(reverse("web:language"), {"language": "en", "next": "/login/"})
    assert r.status_code == 302 and r.cookies["django_language"].value == "en"
    page = client.get(reverse("web:login")).content.decode()
    assert '<html lang="en">' in page
    # Each language is named in itself, whatever the page's language.
    assert 'data-lang="ru">Русский</button>' in page and 'data-lang="en">English</button>' in page
    manager.refresh_from_db()
    assert manager.language == ""
    assert client.get(reverse("web:language")).status_code == 405


def test_login_page_and_wrong_password(manager):
    from django.test import Client

    client = Client()
    assert client.get(reverse("web:login")).status_code == 200
    bad = client.post(reverse("web:login"), {"username": manager.email, "password": "nope"})
    assert bad.status_code == 200 and "form-errors" in bad.content.decode()
    good = client.post(reverse("web:login"), {"username": manager.email,
                                              "password": "pass12345"})
    assert good.status_code == 302 and good["Location"] == reverse("web:board")


def test_admin_corrects_a_stage_with_a_reason(pipeline, stages, admin, manager):
    from voronka.deals.services import deal_move

    from ..factories import done_task

    deal = make_deal(pipeline, manager, budget="1000")
    done_task(deal, manager)
    deal_move(deal=deal, to_stage=stages[1], actor=manager)
    url = reverse("web:deal_correct", args=[deal.pk])
    assert 'id="correct"' in login(admin).get(reverse("web:deal", args=[deal.pk])).content.decode()
    assert login(manager).post(url, {"to_stage": stages[0].pk, "reason": "x",
                                     "version": deal.version}).status_code == 403
    response = login(admin).post(url, {"to_stage": stages[0].pk, "version": deal.version,
                                       "reason": "Перенесли по ошибке"})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage_id == stages[0].pk
    assert deal.transitions.last().comment == "Перенесли по ошибке"


@pytest.mark.parametrize("role,capture", [("admin", True), ("head", True),
                                          ("marketer", True), ("manager", False)])
def test_lead_capture_and_api_tokens_are_reachable_from_the_menus(role, capture, request):
    user = request.getfixturevalue(role)
    client = login(user)
    pages = [client.get(reverse("web:board")).content.decode()]
    if user.is_admin or user.is_head:
        pages.append(client.get(reverse("web:settings")).content.decode())
    html = "".join(pages)
    assert f'href="{reverse("api_tokens")}"' in html
    assert (f'href="{reverse("capture:channels")}"' in html) is capture


def test_a_missing_page_is_the_site_s_own_page_in_the_user_s_language(manager, settings):
    settings.DEBUG = False
    client = login(manager)
    client.post(reverse("web:language"), {"language": "ru", "next": "/"})
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Страница не найдена" in html and 'class="topbar"' in html
    assert "Not Found" not in html


def test_a_marketers_board_and_lists_offer_no_writes(pipeline, deal, marketer, manager):
    html = login(marketer).get(reverse("web:board_pipeline", args=[pipeline.pk])).content.decode()
    assert f'id="card-{deal.pk}"' in html
    assert "Move to…" not in html and "data-readonly" in html and 'data-zone="lost"' not in html
    assert reverse("web:deal_new") not in html
    for name in ("deal_list", "contact_list", "company_list"):
        page = login(marketer).get(reverse(f"web:{name}")).content.decode()
        assert reverse(f"web:{name.replace('_list', '_new')}") not in page, name
    html = login(manager).get(reverse("web:board_pipeline", args=[pipeline.pk])).content.decode()
    assert "Move to…" in html and "data-readonly" not in html and 'data-zone="lost"' in html
    assert reverse("web:deal_new") in html


def test_pages_with_several_forms_have_no_duplicate_ids(pipeline, deal, manager, head):
    import re
    from collections import Counter

    pages = [(manager, reverse("web:deal", args=[deal.pk])),
             (manager, reverse("web:deal_move_dialog", args=[deal.pk])),
             (head, reverse("web:pipeline_edit", args=[pipeline.pk]))]
    for user, url in pages:
        html = login(user).get(url).content.decode()
        ids = Counter(re.findall(r'\sid="([^"]+)"', html))
        assert [i for i, n in ids.items() if n > 1] == [], url
    # The move dialog opens over the deal page: its inputs must not repeat the page's ids.
    last = deal.pipeline.stages.order_by("-position")[0]
    facts = reverse("web:deal_facts", args=[deal.pk]) + f"?to_stage={last.pk}"
    page, dialog = (set(re.findall(r'\sid="(id_[^"]+)"', login(manager).get(u).content.decode()))
                    for u in (pages[0][1], facts))
    assert dialog and not page & dialog


def test_favicon_is_served(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r["Content-Type"] == "image/svg+xml"
