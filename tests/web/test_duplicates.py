"""A new contact or company the user already has (same phone, e-mail, INN or name) is
refused with the existing one named; "Save as a new one" insists."""

from django.urls import reverse

from voronka.crm.models import Company, Contact
from voronka.crm.services import company_create, contact_create

from .conftest import login


def test_a_contact_with_a_known_phone_is_named_then_saved_on_insistence(manager, contact):
    client = login(manager)
    data = {"full_name": "Иван П.", "phones": "8 (916) 123-45-67", "emails": ""}
    page = client.get(reverse("web:contact_new")).content.decode()
    assert 'type="hidden" name="allow_duplicate"' in page
    r = client.post(reverse("web:contact_new"), data)
    html = r.content.decode()
    assert r.status_code == 422 and "Already in the CRM: “Иван Петров”" in html
    assert 'type="checkbox" name="allow_duplicate"' in html
    assert Contact.objects.count() == 1
    r = client.post(reverse("web:contact_new"), {**data, "allow_duplicate": "on"})
    assert r.status_code == 302 and Contact.objects.count() == 2


def test_a_contact_is_checked_by_e_mail_too(manager, contact):
    contact_create(actor=manager, full_name="Анна", emails=["anna@example.com"])
    r = login(manager).post(reverse("web:contact_new"), {
        "full_name": "Анна С.", "phones": "", "emails": "ANNA@example.com"})
    assert r.status_code == 422 and "“Анна”" in r.content.decode()  # the manager's own


def test_a_company_of_the_same_name_in_any_case_or_inn_is_named(manager, company):
    client = login(manager)
    r = client.post(reverse("web:company_new"), {"name": "ооо «ромашка»"})
    assert r.status_code == 422 and "Already in the CRM: “ООО «Ромашка»”" in r.content.decode()
    company_create(actor=manager, name="ООО «Лютик»", inn="7701234567")
    assert Company.objects.count() == 2
    r = client.post(reverse("web:company_new"), {"name": "ООО «Другое»", "inn": "7701234567"})
    assert r.status_code == 422 and "“ООО «Лютик»”" in r.content.decode()  # the same INN
    r = client.post(reverse("web:company_new"), {"name": "ООО «Ромашка»",
                                                 "allow_duplicate": "on"})
    assert r.status_code == 302


def test_another_team_s_contact_is_neither_named_nor_a_duplicate(manager, contact, outsider):
    r = login(outsider).post(reverse("web:contact_new"), {
        "full_name": "Иван", "phones": "+79161234567", "emails": ""})
    assert r.status_code == 302  # the outsider may not know that contact exists
    assert "Иван Петров" not in r.content.decode()
