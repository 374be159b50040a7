"""E-mail: editable templates, queued messages and their sending through Django's backend.

A message is a row queued together with its send job in the caller's transaction; the job
sends it through ``EMAIL_BACKEND`` (SMTP from the environment) and retries temporary failures
with back-off. Every message carries an idempotency key, sent as its Message-ID: a copy sent
again after a worker crash is the same message to every mail client.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import random
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import Team, User
from voronka.core.errors import Conflict, PermissionDenied, ValidationError
from voronka.core.normalize import InvalidValue, normalize_email
from voronka.deals.models import Deal

from . import rendering
from .models import EmailTemplate, OutgoingEmail

logger = logging.getLogger(__name__)

# Seconds before attempts 2, 3, 4, 5 of a message the mail server refused for now.
EMAIL_BACKOFF = (60, 300, 1800, 7200)


def _can_manage(actor: User | None, team: Team | None) -> None:
    if actor is None or actor.is_admin:
        return
    if team is not None and actor.is_head and actor.team_id == team.pk:
        return
    raise PermissionDenied(_("Only an administrator or the team's head can edit e-mail "
                             "templates."))


def _clean_template(name: str, subject: str, body: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    name, subject, body = (name or "").strip(), (subject or "").strip(), (body or "").strip()
    for field, value, limit in (("name", name, 200), ("subject", subject, 300),
                                ("body", body, 50000)):
        if not value:
            errors[field] = _("This field is required.")
        elif len(value) > limit:
            errors[field] = _("At most %(n)d characters.") % {"n": limit}
    for field, value in (("subject", subject), ("body", body)):
        if field in errors:
            continue
        try:  # a broken placeholder or an unknown variable would be sent as typed
            rendering.check(value, field)
        except ValidationError as exc:
            errors.update({k: " ".join(v) for k, v in exc.errors.items()})
    if errors:
        raise ValidationError(errors)
    return {"name": name, "subject": subject, "body": body}


@transaction.atomic
def email_template_create(*, actor: User | None, team: Team | None, name: str, subject: str,
                          body: str) -> EmailTemplate:
    _can_manage(actor, team)
    fields = _clean_template(name, subject, body)
    if EmailTemplate.objects.filter(team=team, name=fields["name"]).exists():
        raise ValidationError({"name": _("A template with this name already exists.")})
    return EmailTemplate.objects.create(team=team, created_by=actor, **fields)


@transaction.atomic
def email_template_update(*, actor: User | None, template: EmailTemplate, name: str,
                          subject: str, body: str, is_active: bool = True) -> EmailTemplate:
    _can_manage(actor, template.team)
    fields = _clean_template(name, subject, body)
    if EmailTemplate.objects.filter(team=template.team, name=fields["name"]).exclude(
            pk=template.pk).exists():
        raise ValidationError({"name": _("A template with this name already exists.")})
    for key, value in fields.items():
        setattr(template, key, value)
    template.is_active = bool(is_active)
    template.updated_at = timezone.now()
    template.save()
    return template


def rules_using_template(template: EmailTemplate) -> list:
    """The automation rules (on or off) whose "send an e-mail" action uses ``template``."""
    from voronka.automation.models import Rule

    rules = Rule.objects.select_related("pipeline").order_by("pipeline_id", "position", "id")
    if template.team_id is not None:
        rules = rules.filter(pipeline__team_id=template.team_id)
    return [rule for rule in rules.only("id", "name", "actions", "is_active", "pipeline__name")
            if any(isinstance(a, dict) and a.get("type") == "send_email"
                   and str(a.get("template_id")) == str(template.pk) for a in rule.actions)]


@transaction.atomic
def email_template_delete(*, actor: User | None, template: EmailTemplate) -> None:
    """Delete a template no automation rule uses; refused, naming the rules, while one does
    (a rule's e-mail would otherwise stop without anyone noticing). E-mails already sent from
    it stay on the deals' timelines."""
    _can_manage(actor, template.team)
    # Locked first: a rule being saved with this template waits, or is seen below.
    locked = EmailTemplate.objects.select_for_update().filter(pk=template.pk).first()
    if locked is None:
        return
    users = rules_using_template(locked)
    if users:
        names = ", ".join(_("“%(rule)s” (%(pipeline)s)") % {
            "rule": rule.name, "pipeline": rule.pipeline.name} for rule in users)
        raise Conflict(_("The template is used by automation rules: %(rules)s. Take it out of "
                         "their actions, or delete those rules, first.") % {"rules": names},
                       rules=[rule.pk for rule in users])
    locked.delete()


def _address(raw: str) -> str:
    try:
        return normalize_email(raw)
    except InvalidValue as exc:
        raise ValidationError({"to": str(exc)}) from exc


@transaction.atomic
def email_queue(*, to: str, subject: str, body: str, idempotency_key: str,
                deal: Deal | None = None, template: EmailTemplate | None = None,
                actor: User | None = None) -> OutgoingEmail:
    """Queue one message and its send job. The same key twice → the first message, unchanged."""
    from .tasks import send_email

    key = (idempotency_key or "").strip()[:200]
    if not key:
        raise ValidationError({"idempotency_key": _("This field is required.")})
    existing = OutgoingEmail.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    subject = " ".join((subject or "").split())[:300]  # no header injection through newlines
    if not subject:
        raise ValidationError({"subject": _("This field is required.")})
    try:
        with transaction.atomic():
            email = OutgoingEmail.objects.create(
                deal=deal, template=template, to=_address(to), subject=subject,
                body=body or "", idempotency_key=key, created_by=actor,
                message_id=_message_id(key))
    except IntegrityError:
        return OutgoingEmail.objects.get(idempotency_key=key)
    send_email.enqueue(email.pk)
    return email


def email_queue_from_template(*, template: EmailTemplate, deal: Deal, to: str,
                              idempotency_key: str, actor: User | None = None) -> OutgoingEmail:
    """Render ``template`` for ``deal`` now (the values as they are) and queue it."""
    ctx = rendering.deal_context(deal)
    return email_queue(to=to, subject=rendering.render(template.subject, ctx),
                       body=rendering.render(template.body, ctx), deal=deal,
                       template=template, idempotency_key=idempotency_key, actor=actor)


def _message_id(key: str) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "voronka.local"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def email_send(email_id: int) -> str:
    """Send a queued message (the job's body). Returns its status afterwards."""
    from .tasks import send_email

    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.status in (OutgoingEmail.Status.SENT,
                                             OutgoingEmail.Status.FAILED):
            return email.status if email else "missing"
        email.status = OutgoingEmail.Status.SENDING
        email.attempts += 1
        email.save(update_fields=["status", "attempts"])
    message = EmailMessage(subject=email.subject, body=email.body, to=[email.to],
                           from_email=settings.DEFAULT_FROM_EMAIL,
                           headers={"Message-ID": email.message_id,
                                    "X-Voronka-Idempotency-Key": email.idempotency_key})
    error = ""
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        permanent = isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused)
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().get(pk=email_id)
        if not error:
            email.status, email.sent_at, email.last_error = (OutgoingEmail.Status.SENT,
                                                             timezone.now(), "")
        elif permanent or email.attempts > len(EMAIL_BACKOFF):
            email.status, email.last_error = OutgoingEmail.Status.FAILED, error
            logger.warning("e-mail %s failed for good: %s", email.pk, error)
        else:
            email.status, email.last_error = OutgoingEmail.Status.RETRYING, error
            delay = EMAIL_BACKOFF[email.attempts - 1] * random.uniform(0.9, 1.1)  # noqa: S311
            send_email.using(run_after=timezone.now() + datetime.timedelta(seconds=delay)
                             ).enqueue(email.pk)
        email.save(update_fields=["status", "sent_at", "last_error"])
    return email.status
