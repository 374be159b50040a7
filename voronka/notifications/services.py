"""Write use cases for in-app notifications."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.core.errors import NotFound, ValidationError
from voronka.deals.models import Deal

from .models import Notification


@transaction.atomic
def notification_create(*, user: User, text: str, deal: Deal | None = None, url: str = "",
                        idempotency_key: str = "") -> Notification:
    """Notify ``user``. With ``idempotency_key`` a second call returns the first notification."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("This field is required.")})
    key = (idempotency_key or "")[:220]
    if key:
        existing = Notification.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                return Notification.objects.create(user=user, text=text[:5000], deal=deal,
                                                   url=url[:500], idempotency_key=key)
        except IntegrityError:
            # A concurrent run of the same job inserted it first: that one stands.
            return Notification.objects.get(idempotency_key=key)
    return Notification.objects.create(user=user, text=text[:5000], deal=deal, url=url[:500])


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    note = Notification.objects.filter(pk=notification_id, user=user).first()
    if note is None:
        raise NotFound(_("Notification not found."))
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    return note


@transaction.atomic
def notification_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now())
