"""E-mail: templates, rendering, queueing with an idempotency key, retries, a real SMTP server."""

import smtplib
import socket
import threading

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django_tasks_db.models import DBTaskResult

from voronka.automation.services import rule_create
from voronka.core.errors import PermissionDenied, ValidationError
from voronka.crm.services import company_create, contact_create
from voronka.deals.selectors import deal_timeline
from voronka.deals.services import deal_contact_attach
from voronka.integrations.emails import (
    email_queue,
    email_template_create,
    email_template_update,
)
from voronka.integrations.models import OutgoingEmail

from ..factories import make_deal


class FlakyBackend(BaseEmailBackend):
    """Fails the first ``failures`` sends as a mail server that is down would."""

    failures = 0
    sent: list = []

    def send_messages(self, messages):
        if FlakyBackend.failures:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("connection lost")
        FlakyBackend.sent.extend(messages)
        return len(messages)


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"no such user")})


def _deal_with_contact(pipeline, manager):
    company = company_create(actor=manager, name="ООО Ромашка")
    contact = contact_create(actor=manager, full_name="Анна Петрова",
                             emails=["anna@romashka.example"], phones=["+7 916 123-45-67"])
    deal = make_deal(pipeline, manager, title="Интернет-магазин", budget="130000",
                     company=company)
    deal_contact_attach(deal=deal, contact=contact, role="decision_maker", actor=manager)
    return deal


def test_templates_refuse_unknown_variables_and_check_permissions(team, admin, head, manager):
    with pytest.raises(ValidationError) as exc:
        email_template_create(actor=admin, team=None, name="X", subject="Hi {{ deal.title }}",
                              body="{{ deal.secret_key }}")
    assert "body" in exc.value.errors and "deal.secret_key" in exc.value.errors["body"][0]
    with pytest.raises(PermissionDenied):
        email_template_create(actor=manager, team=team, name="X", subject="s", body="b")
    with pytest.raises(PermissionDenied):
        email_template_create(actor=head, team=None, name="X", subject="s", body="b")
    tpl = email_template_create(actor=head, team=team, name="КП", subject="s", body="b")
    with pytest.raises(ValidationError) as exc:
        email_template_create(actor=head, team=team, name="КП", subject="s", body="b")
    assert "name" in exc.value.errors
    email_template_update(actor=head, template=tpl, name="КП 2", subject="s2",
                          body="{{ custom.work_type }}")
    tpl.refresh_from_db()
    assert tpl.name == "КП 2"


def test_rule_sends_a_rendered_email_to_the_contact(pipeline, team, head, manager, jobs, mail):
    tpl = email_template_create(
        actor=head, team=team, name="Счёт", subject="Счёт по сделке «{{ deal.title }}»",
        body="Здравствуйте, {{ contact.name }}!\nСумма: {{ deal.budget }}.\n"
             "Компания: {{ company.name }}. Менеджер: {{ owner.name }}.")
    rule_create(actor=head, pipeline=pipeline, name="Invoice", trigger="payment_recorded",
                actions=[{"type": "send_email", "template_id": tpl.pk, "to": "contact"}])
    deal = _deal_with_contact(pipeline, manager)
    from voronka.deals.services import payment_create

    payment_create(deal=deal, amount="1000", actor=manager)
    jobs()
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.to == ["anna@romashka.example"]
    assert msg.subject == "Счёт по сделке «Интернет-магазин»"
    assert "Здравствуйте, Анна Петрова!" in msg.body and "ООО Ромашка" in msg.body
    assert "130" in msg.body and str(manager) in msg.body
    email = OutgoingEmail.objects.get()
    assert email.status == "sent" and msg.extra_headers["Message-ID"] == email.message_id
    entry = next(e for e in deal_timeline(user=manager, deal=deal) if e.kind == "email")
    assert entry.summary["subject"] == msg.subject and entry.summary["status"] == "sent"


def test_queueing_twice_with_one_key_sends_once(jobs, mail):
    first = email_queue(to="a@example.com", subject="Hi", body="x", idempotency_key="k1")
    again = email_queue(to="a@example.com", subject="Hi", body="x", idempotency_key="k1")
    assert first.pk == again.pk and DBTaskResult.objects.count() == 1
    jobs()
    from voronka.integrations.tasks import send_email

    send_email.call(first.pk)  # a re-queued job runs again: already sent, nothing happens
    assert len(mail.outbox) == 1


def test_bad_input_changes_nothing(db):
    for kwargs, field in (({"to": "not an address", "subject": "s"}, "to"),
                          ({"to": "a@example.com", "subject": "  "}, "subject")):
        with pytest.raises(ValidationError) as exc:
            email_queue(body="b", idempotency_key="k", **kwargs)
        assert field in exc.value.errors
    assert not OutgoingEmail.objects.exists() and not DBTaskResult.objects.exists()


def test_temporary_failures_are_retried(settings, jobs):
    settings.EMAIL_BACKEND = "tests.integrations.test_email.FlakyBackend"
    FlakyBackend.failures, FlakyBackend.sent = 2, []
    email = email_queue(to="a@example.com", subject="Hi", body="x", idempotency_key="k2")
    jobs()
    email.refresh_from_db()
    assert email.status == "retrying" and "connection lost" in email.last_error
    for _ in range(2):
        DBTaskResult.objects.filter(status="READY").update(run_after=email.created_at)
        jobs()
    email.refresh_from_db()
    assert email.status == "sent" and email.attempts == 3 and len(FlakyBackend.sent) == 1


def test_refused_recipient_fails_at_once(settings, jobs):
    settings.EMAIL_BACKEND = "tests.integrations.test_email.RefusingBackend"
    email = email_queue(to="x@example.com", subject="Hi", body="x", idempotency_key="k3")
    jobs()
    email.refresh_from_db()
    assert email.status == "failed" and email.attempts == 1
    assert not DBTaskResult.objects.filter(status="READY").exists()


# --- end to end through a real SMTP server ---------------------------------------------------

class _Collect:
    def __init__(self):
        self.messages = []
        self.got = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(envelope)
        self.got.set()
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_end_to_end_through_a_local_smtp_server(settings, pipeline, team, head, manager, jobs):
    from aiosmtpd.controller import Controller

    handler = _Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER = False, ""
        settings.DEFAULT_FROM_EMAIL = "sales@studio.example"
        tpl = email_template_create(actor=head, team=team, name="Спасибо",
                                    subject="Спасибо, {{ contact.name }}!",
                                    body="Оцените, пожалуйста, нашу работу по «{{ deal.title }}»"
                                         " от 0 до 10.")
        rule_create(actor=head, pipeline=pipeline, name="Thanks", trigger="deal_created",
                    actions=[{"type": "send_email", "template_id": tpl.pk, "to": "owner"}])
        deal = make_deal(pipeline, manager, title="Лендинг")
        jobs()
        assert handler.got.wait(10)
    finally:
        controller.stop()
    envelope = handler.messages[0]
    assert envelope.mail_from == "sales@studio.example"
    assert envelope.rcpt_tos == [manager.email]
    import email as email_lib
    from email.header import decode_header, make_header

    parsed = email_lib.message_from_bytes(envelope.original_content)
    assert str(make_header(decode_header(parsed["Subject"]))) == "Спасибо, !"  # owner has no
    # contact name: an empty variable renders as nothing, never as "None"
    body = parsed.get_payload(decode=True).decode(parsed.get_content_charset())
    assert "«Лендинг»" in body
    sent = OutgoingEmail.objects.get(deal=deal)
    assert parsed["Message-ID"] == sent.message_id and sent.status == "sent"
    assert parsed["X-Voronka-Idempotency-Key"] == sent.idempotency_key
