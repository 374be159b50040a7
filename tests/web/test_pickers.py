"""Searchable pickers of contacts and companies: the value a picker holds always survives a
save; every record the user may see can be picked (search, or its id), nothing else can."""

from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from voronka.accounts.models import Role
from voronka.crm.models import Company, Contact
from voronka.crm.services import company_create, contact_create
from voronka.deals.models import Deal, DealFact
from voronka.deals.services import deal_update

from ..factories import UserFactory, done_task, make_deal
from .conftest import login

N = 305  # more than any picker shows before a search (300 on the deal page, 200 in the dialog)


class _FormReader(HTMLParser):
    """What a browser would submit from the form whose ``action`` is given: each input's
    value, each select's selected option (or its first one when none is selected)."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.values = action, False, {}
        self.select: str | None = None
        self.first: str | None = None
        self.chosen: str | None = None
        self.detached: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action", "") == self.action
        elif not self.inside:
            return
        elif tag == "input" and a.get("name"):
            if a.get("form"):  # the search box belongs to no form: never submitted
                self.detached.add(a["name"])
            elif a.get("type") not in ("checkbox", "radio"):
                self.values[a["name"]] = a.get("value", "")
            elif "checked" in a:
                self.values[a["name"]] = a.get("value", "on")
        elif tag == "select":
            self.select, self.first, self.chosen = a.get("name"), None, None
        elif tag == "option" and self.select:
            if self.first is None and "disabled" not in a:
                self.first = a.get("value", "")
            if "selected" in a:
                self.chosen = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            self.values[self.select] = self.chosen if self.chosen is not None else (
                self.first or "")
            self.select = None


def _submitted(html: str, action: str) -> dict[str, str]:
    reader = _FormReader(action)
    reader.feed(html)
    assert reader.values, f"no form posting to {action}"
    return reader.values


@pytest.fixture
def companies(manager):
    """Companies of ``manager`` named so that the last ones sort beyond the first 300."""
    Company.objects.bulk_create([Company(name=f"Компания {i:04d}", owner=manager)
                                 for i in range(1, N + 1)])
    return list(Company.objects.filter(owner=manager).order_by("name"))


@pytest.fixture
def contacts(manager):
    Contact.objects.bulk_create([Contact(full_name=f"Контакт {i:04d}", owner=manager)
                                 for i in range(1, N + 1)])
    return list(Contact.objects.filter(owner=manager).order_by("full_name"))


@pytest.fixture
def foreign(outsider):
    """A company and a contact of another department: ``manager`` may not see them."""
    company = company_create(actor=outsider, name="Компания 9999 чужая")
    contact = contact_create(actor=outsider, full_name="Контакт 9999 чужой",
                             phones=["+7 916 999-99-99"])
    return company, contact


# --- (a) a value outside the first options survives a save --------------------------------

def test_deal_keeps_a_company_beyond_the_first_300_when_only_the_budget_changes(
        pipeline, manager, companies):
    late = companies[300]  # the 301st alphabetically
    deal = deal_update(deal=make_deal(pipeline, manager, budget="1000"), actor=manager,
                       company=late)
    client = login(manager)
    html = client.get(reverse("web:deal", args=[deal.pk])).content.decode()
    assert f'<option value="{late.pk}" selected>{late.name}</option>' in html
    data = _submitted(html, reverse("web:deal_edit", args=[deal.pk]))
    assert data["company"] == str(late.pk)
    data["budget"] = "250000"
    response = client.post(reverse("web:deal_edit", args=[deal.pk]), data)
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.budget == Decimal("250000.00") and deal.company_id == late.pk


def test_deal_keeps_an_owner_who_left_the_team_when_a_head_saves_it(pipeline, team, head,
                                                                     companies):
    leaver = UserFactory(role=Role.MANAGER, team=team, full_name="Ушедший Менеджер")
    deal = make_deal(pipeline, leaver, budget="1000")
    leaver.is_active = False
    leaver.save(update_fields=["is_active"])
    client = login(head)
    html = client.get(reverse("web:deal", args=[deal.pk])).content.decode()
    data = _submitted(html, reverse("web:deal_edit", args=[deal.pk]))
    assert data["owner"] == str(leaver.pk)
    data["budget"] = "5000"
    assert client.post(reverse("web:deal_edit", args=[deal.pk]), data).status_code == 302
    deal.refresh_from_db()
    assert deal.owner_id == leaver.pk and deal.budget == Decimal("5000.00")


def test_contact_page_keeps_its_company_beyond_the_first_300(manager, companies):
    late = companies[-1]
    contact = contact_create(actor=manager, full_name="Иван Поздний", company=late)
    client = login(manager)
    html = client.get(reverse("web:contact", args=[contact.pk])).content.decode()
    data = _submitted(html, "")  # the contact form posts to its own page
    assert data["company"] == str(late.pk)
    data["position"] = "Директор"
    assert client.post(reverse("web:contact", args=[contact.pk]), data).status_code == 302
    contact.refresh_from_db()
    assert contact.company_id == late.pk and contact.position == "Директор"


def test_a_picker_renders_a_search_box_outside_the_form(pipeline, manager, deal, companies):
    html = login(manager).get(reverse("web:deal", args=[deal.pk])).content.decode()
    search = reverse("web:pick_companies")
    assert f'hx-get="{search}?field=company&amp;blank=1"' in html
    assert 'hx-trigger="input changed delay:250ms"' in html
    assert f'hx-get="{reverse("web:pick_contacts")}?field=contact&amp;blank=1"' in html
    # The first 300 only, before a search.
    assert f'value="{companies[299].pk}"' in html and f'value="{companies[300].pk}"' not in html


# --- (b) records beyond the first options can be attached by id ----------------------------

def test_deal_page_attaches_a_contact_and_sets_a_company_beyond_the_first_300(
        pipeline, manager, deal, companies, contacts):
    client = login(manager)
    response = client.post(reverse("web:deal_contact_add", args=[deal.pk]),
                           {"contact": contacts[-1].pk, "contact_role": "influencer"})
    assert response.status_code == 302
    response = client.post(reverse("web:deal_company", args=[deal.pk]),
                           {"company": companies[-1].pk})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.company_id == companies[-1].pk
    assert deal.deal_contacts.get().contact_id == contacts[-1].pk


def test_move_dialog_attaches_a_contact_and_a_company_beyond_the_first_200(
        pipeline, stages, manager, companies, contacts):
    deal = make_deal(pipeline, manager, budget="1000")
    done_task(deal, manager)
    client = login(manager)
    url = reverse("web:deal_facts", args=[deal.pk])
    dialog = client.get(url, {"to_stage": stages[3].pk, "origin": "deal"},
                        HTTP_HX_REQUEST="true").content.decode()
    assert 'name="company"' in dialog and 'name="contact"' in dialog
    assert f'value="{companies[200].pk}"' not in dialog  # not shown before a search…
    response = client.post(url, {                          # …and still accepted
        "to_stage": stages[3].pk, "version": deal.version, "origin": "deal",
        f"confirm_{stages[1].requirements.get().pk}": "on",
        "company": companies[250].pk, "contact": contacts[250].pk,
        "contact_role": "decision_maker"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.get("HX-Refresh") == "true"
    deal.refresh_from_db()
    assert deal.stage_id == stages[3].pk and deal.company_id == companies[250].pk
    assert deal.deal_contacts.get().contact_id == contacts[250].pk


def test_new_deal_with_a_company_beyond_the_first_300(pipeline, manager, companies):
    response = login(manager).post(reverse("web:deal_new"), {
        "pipeline": pipeline.pk, "title": "Поздняя", "company": companies[-1].pk})
    assert response.status_code == 302
    assert Deal.objects.get(title="Поздняя").company_id == companies[-1].pk


# --- (c) the search endpoints: all the user may see, nothing else --------------------------

def _options(client, name: str, **params) -> str:
    response = client.get(reverse(f"web:{name}"), params)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<option") and "<select" not in html
    return html


def test_search_finds_companies_beyond_the_first_300(manager, companies):
    html = _options(login(manager), "pick_companies", q="Компания 030", field="company",
                    blank="1")
    assert html.startswith('<option value="" selected>—</option>')
    for company in companies[299:N]:  # 0300 … 0305
        assert f'<option value="{company.pk}">{company.name}</option>' in html
    assert f'value="{companies[0].pk}"' not in html


def test_search_keeps_the_chosen_option(manager, companies):
    chosen = companies[3]
    html = _options(login(manager), "pick_companies", q="Компания 0305", field="company",
                    company=str(chosen.pk))
    assert f'<option value="{chosen.pk}" selected>{chosen.name}</option>' in html
    assert f'value="{companies[-1].pk}"' in html and 'value=""' not in html


def test_search_of_contacts_by_name_phone_and_email(manager, contacts, company):
    ivan = contact_create(actor=manager, full_name="Иван Сидоров", company=company,
                          phones=["+7 916 555-44-33"], emails=["ivan@sidorov.example"])
    client = login(manager)
    label = f"Иван Сидоров · {company.name}"
    for q in ("Сидор", "9165554433", "sidorov.example"):
        html = _options(client, "pick_contacts", q=q)
        assert f'<option value="{ivan.pk}">{label}</option>' in html, q
    html = _options(client, "pick_contacts", q="Контакт 030")
    assert f'value="{contacts[-1].pk}"' in html


def test_search_shows_none_and_more(manager, companies):
    client = login(manager)
    html = _options(client, "pick_companies", q="нет такой")
    assert "Nothing found." in html and "value=\"" in html
    html = _options(client, "pick_companies", q="Компания")  # 305 matches, 50 shown
    assert html.count("<option") == 51 and "More found" in html
    html = _options(client, "pick_companies")  # a cleared search: the first 300 again
    assert html.count("<option") == 301


def test_search_is_scoped_to_what_the_user_may_see(manager, manager2, outsider, companies,
                                                   contacts, foreign):
    company, contact = foreign
    # The manager finds the late ones but never another department's.
    mine = _options(login(manager), "pick_companies", q="Компания")
    assert f'value="{company.pk}"' not in mine
    theirs = _options(login(manager), "pick_companies", q="9999", field="company",
                      company=str(company.pk))
    assert company.name not in theirs and "Nothing found." in theirs
    assert contact.full_name not in _options(login(manager), "pick_contacts", q="9999")
    # The other department's head sees their own and none of the manager's.
    html = _options(login(outsider), "pick_companies", q="Компания")
    assert f'value="{company.pk}"' in html and f'value="{companies[-1].pk}"' not in html
    html = _options(login(outsider), "pick_contacts", q="Контакт 0305", field="contact",
                    contact=str(contacts[-1].pk))
    assert contacts[-1].full_name not in html and "Nothing found." in html
    # A colleague of the same team sees none of the manager's own records.
    html = _options(login(manager2), "pick_companies", q="Компания 0305")
    assert companies[-1].name not in html


def test_search_needs_a_login():
    from django.test import Client

    for name in ("pick_companies", "pick_contacts"):
        response = Client().get(reverse(f"web:{name}"), {"q": "a"})
        assert response.status_code == 302


def test_search_answers_get_only(manager):
    assert login(manager).post(reverse("web:pick_companies"), {"q": "a"}).status_code == 405


# --- (d) an id the user may not see is refused, naming the field, writing nothing ----------

ERROR = "there is no such record among those you may see"


def test_deal_page_refuses_a_company_and_a_contact_the_user_may_not_see(
        pipeline, manager, deal, company, foreign):
    deal = deal_update(deal=deal, actor=manager, company=company)
    theirs_company, theirs_contact = foreign
    client = login(manager)
    response = client.post(reverse("web:deal_company", args=[deal.pk]),
                           {"company": theirs_company.pk})
    assert response.status_code == 422
    form = response.context["company_form"]
    assert ERROR in form.errors["company"][0] and form.errors["company"][0].startswith(
        "Company:")
    assert not form.non_field_errors()
    response = client.post(reverse("web:deal_contact_add", args=[deal.pk]),
                           {"contact": theirs_contact.pk, "contact_role": "influencer"})
    assert response.status_code == 422
    form = response.context["contact_form"]
    assert form.errors["contact"][0].startswith("Contact:") and not form.non_field_errors()
    response = client.post(reverse("web:deal_edit", args=[deal.pk]), {
        "title": deal.title, "budget": "777", "owner": manager.pk,
        "company": theirs_company.pk, "version": deal.version})
    assert response.status_code == 422 and ERROR in response.content.decode()
    deal.refresh_from_db()
    assert deal.company_id == company.pk and deal.budget == Decimal("0")
    assert not deal.deal_contacts.exists()


def test_move_dialog_refuses_a_company_the_user_may_not_see(pipeline, stages, manager,
                                                           foreign):
    deal = make_deal(pipeline, manager, budget="1000")
    done_task(deal, manager)
    theirs_company, theirs_contact = foreign
    response = login(manager).post(reverse("web:deal_facts", args=[deal.pk]), {
        "to_stage": stages[3].pk, "version": deal.version, "origin": "deal",
        f"confirm_{stages[1].requirements.get().pk}": "on",
        "company": theirs_company.pk, "contact": theirs_contact.pk,
        "contact_role": "decision_maker"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    html = response.content.decode()
    assert f"Company: {ERROR}" in html and f"Contact: {ERROR}" in html
    assert theirs_company.name not in html and theirs_contact.full_name not in html
    deal.refresh_from_db()
    assert deal.stage_id == stages[0].pk and deal.company_id is None
    assert not DealFact.objects.filter(deal=deal).exists() and not deal.deal_contacts.exists()


def test_contact_form_refuses_a_company_the_user_may_not_see(manager, contact, company,
                                                             foreign):
    theirs_company, _theirs_contact = foreign
    response = login(manager).post(reverse("web:contact", args=[contact.pk]), {
        "full_name": "Иван Петров", "company": theirs_company.pk})
    assert response.status_code == 422
    assert response.context["form"].errors["company"][0].startswith("Company:")
    contact.refresh_from_db()
    assert contact.company_id == company.pk


@pytest.mark.parametrize("bad", ["abc", "-1", "987654321", "99999999999999999999999"])
def test_nonsense_ids_are_refused_too(pipeline, manager, deal, bad):
    response = login(manager).post(reverse("web:deal_company", args=[deal.pk]),
                                   {"company": bad})
    assert response.status_code == 422
    assert "company" in response.context["company_form"].errors


@pytest.mark.parametrize("bad", ["abc", "99999999999999999999999"])
def test_search_ignores_a_nonsense_chosen_value(manager, companies, bad):
    html = _options(login(manager), "pick_companies", q="Компания 0305", field="company",
                    company=bad, blank="1")
    assert html.startswith('<option value="">—</option>')
    assert f'value="{companies[-1].pk}"' in html


def test_a_non_ascii_digit_is_a_field_error_not_a_crash(pipeline, manager):
    """"²".isdigit() is true; int("²") raises: the picker and its search must not."""
    from ..factories import make_deal

    deal = make_deal(pipeline, manager, title="Цифры")
    client = login(manager)
    r = client.post(reverse("web:deal_edit", args=[deal.pk]),
                    {"title": "Цифры", "owner": str(manager.pk), "company": "²",
                     "version": deal.version})
    assert r.status_code == 422 and "Company" in r.content.decode()
    search = client.get(reverse("web:pick_companies"),
                        {"field": "company", "company": "²", "q": "Ром"})
    assert search.status_code == 200


def test_a_search_keeps_the_objects_own_company_even_one_the_user_cannot_pick(
        manager, outsider):
    """The contact page keeps a company the user could not pick anew; a search must too."""
    from voronka.crm.services import company_create, contact_create

    foreign = company_create(actor=outsider, name="ООО Чужая")
    contact = contact_create(actor=manager, full_name="Ирина", company=foreign)
    client = login(manager)
    page = client.get(reverse("web:contact", args=[contact.pk])).content.decode()
    assert "ООО Чужая" in page and "keep_label=" in page
    start = page.index('hx-get="', page.index('name="q"')) + len('hx-get="')
    url = page[start:page.index('"', start)].replace("&amp;", "&")
    options = client.get(f"{url}&company={foreign.pk}&q=Ром").content.decode()
    assert f'<option value="{foreign.pk}" selected>ООО Чужая</option>' in options
