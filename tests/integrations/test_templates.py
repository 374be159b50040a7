"""E-mail templates: broken placeholders refused at save, naming the field; deleting a template
(confirmed, by who may edit it, refused while a rule uses it)."""

import pytest

from voronka.automation.services import rule_create, rule_delete, rule_set_active
from voronka.core.errors import Conflict, PermissionDenied, ValidationError
from voronka.integrations.emails import (
    email_queue_from_template,
    email_template_create,
    email_template_delete,
    email_template_update,
)
from voronka.integrations.models import EmailTemplate, OutgoingEmail

from ..factories import make_deal, make_pipeline


def _template(actor, team, name="Спасибо", **kw):
    kw.setdefault("subject", "Спасибо, {{ contact.name }}")
    kw.setdefault("body", "Оцените нашу работу по сделке {{ deal.title }}.")
    return email_template_create(actor=actor, team=team, name=name, **kw)


def _emailing_rule(head, pipeline, template, name="Спасибо после оплаты"):
    return rule_create(actor=head, pipeline=pipeline, name=name, trigger="deal_won",
                       actions=[{"type": "send_email", "template_id": template.pk,
                                 "to": "owner"}])


# --- 4. broken placeholders ------------------------------------------------------------------

@pytest.mark.parametrize(("subject", "body", "fields"), [
    ("Hi {{ deal.title", "Текст", ["subject"]),
    ("Привет", "{% load x %}Текст", ["body"]),
    ("Hi {{ deal.title ", "{{ owner.name }} }}", ["body", "subject"]),
    ("Hi {{deal.title}", "Текст", ["subject"]),
])
def test_a_broken_placeholder_is_refused_naming_the_field(team, head, subject, body, fields):
    with pytest.raises(ValidationError) as exc:
        _template(head, team, subject=subject, body=body)
    assert sorted(exc.value.errors) == fields
    assert not EmailTemplate.objects.exists()
    tpl = _template(head, team)
    with pytest.raises(ValidationError) as exc:
        email_template_update(actor=head, template=tpl, name="Спасибо", subject=subject,
                              body=body)
    assert sorted(exc.value.errors) == fields
    tpl.refresh_from_db()
    assert tpl.subject == "Спасибо, {{ contact.name }}"


def test_the_form_shows_the_error_at_the_subject(client, team, head):
    client.force_login(head)
    response = client.post("/settings/email-templates/new/", {
        "name": "Спасибо", "team": team.pk, "subject": "Hi {{ deal.title",
        "body": "Текст", "is_active": "on"})
    assert response.status_code == 422
    html = response.content.decode().replace("&quot;", '"')
    assert "“{{ deal.title” is not a variable" in html
    assert list(response.context["form"].errors) == ["subject"]
    assert not EmailTemplate.objects.exists()


def test_a_good_template_renders_every_placeholder(pipeline, team, head, manager):
    tpl = _template(head, team, subject="{{deal.title}}: {{ owner.name }}")
    deal = make_deal(pipeline, manager, title="Магазин")
    email = email_queue_from_template(template=tpl, deal=deal, to="a@example.com",
                                      idempotency_key="k1")
    assert email.subject == f"Магазин: {manager}"
    assert "{{" not in email.body and "Магазин" in email.body


# --- 6. deleting a template ------------------------------------------------------------------

def test_the_teams_head_deletes_an_unused_template_after_confirming(client, pipeline, team,
                                                                   head, manager):
    tpl = _template(head, team)
    deal = make_deal(pipeline, manager)
    sent = email_queue_from_template(template=tpl, deal=deal, to="a@example.com",
                                     idempotency_key="k1")
    client.force_login(head)
    page = client.get(f"/settings/email-templates/{tpl.pk}/").content.decode()
    url = f"/settings/email-templates/{tpl.pk}/delete/"
    assert f'action="{url}"' in page and "return confirm(" in page
    assert client.get(url).status_code == 405  # a link cannot delete: POST only
    response = client.post(url)
    assert response.status_code == 302 and response.url == "/settings/email-templates/"
    assert not EmailTemplate.objects.exists()
    sent.refresh_from_db()
    assert sent.template is None and sent.subject.startswith("Спасибо")  # history stays


def test_others_get_404_and_the_service_refuses_them(client, pipeline, team, head, manager,
                                                     other_head, admin):
    tpl = _template(head, team)
    shared = _template(admin, None, name="Общий")
    url = f"/settings/email-templates/{tpl.pk}/delete/"
    for person in (other_head, manager):
        client.force_login(person)
        assert client.post(url).status_code == 404
    client.force_login(head)  # a head does not edit (nor delete) the shared templates
    assert client.post(f"/settings/email-templates/{shared.pk}/delete/").status_code == 404
    assert EmailTemplate.objects.count() == 2
    with pytest.raises(PermissionDenied):
        email_template_delete(actor=other_head, template=tpl)
    with pytest.raises(PermissionDenied):
        email_template_delete(actor=head, template=shared)
    email_template_delete(actor=admin, template=shared)
    assert list(EmailTemplate.objects.all()) == [tpl]


def test_a_template_a_rule_uses_is_not_deleted_and_the_rules_are_named(
        client, pipeline, team, head, other_team, admin):
    tpl = _template(head, team)
    unused = _template(head, team, name="Другой")
    rule = _emailing_rule(head, pipeline, tpl)
    off = _emailing_rule(head, pipeline, tpl, name="Старое правило")
    rule_set_active(actor=head, rule=off, is_active=False)
    client.force_login(head)
    response = client.post(f"/settings/email-templates/{tpl.pk}/delete/", follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/settings/email-templates/{tpl.pk}/"
    assert (f"The template is used by automation rules: “Спасибо после оплаты” "
            f"({pipeline.name}), “Старое правило” ({pipeline.name}).") in html.replace(
        "&quot;", '"')
    assert EmailTemplate.objects.filter(pk=tpl.pk).exists()
    with pytest.raises(Conflict) as exc:
        email_template_delete(actor=head, template=tpl)
    assert exc.value.extra["rules"] == [rule.pk, off.pk]
    # Another team's rules cannot use this team's template; once the rules go, it can go.
    email_template_delete(actor=head, template=unused)
    rule_delete(actor=head, rule=rule)
    rule_delete(actor=head, rule=off)
    email_template_delete(actor=head, template=tpl)
    assert not EmailTemplate.objects.exists()


def test_a_shared_template_is_kept_while_any_teams_rule_uses_it(team, other_team, head,
                                                               other_head, admin):
    shared = _template(admin, None, name="Общий")
    theirs = make_pipeline(other_team, name="Колл-центр")
    _emailing_rule(other_head, theirs, shared, name="Их правило")
    with pytest.raises(Conflict) as exc:
        email_template_delete(actor=admin, template=shared)
    assert "“Их правило” (Колл-центр)" in exc.value.message


def test_a_rule_cannot_be_saved_with_a_deleted_template(pipeline, team, head):
    tpl = _template(head, team)
    email_template_delete(actor=head, template=tpl)
    with pytest.raises(ValidationError) as exc:
        _emailing_rule(head, pipeline, tpl)
    assert list(exc.value.errors) == ["actions.0.template_id"]
    assert not OutgoingEmail.objects.exists()
