"""Finding the person behind a lead: the same phone (compared in E.164) or e-mail (compared
lower-case) is the same contact, whichever format the sender used."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from voronka.crm.models import Contact
from voronka.deals.models import Deal


def contact_match(*, phones: Iterable[str], emails: Iterable[str]) -> Contact | None:
    """The oldest contact with any of the (already normalised) phones or e-mails."""
    phones, emails = list(phones), list(emails)
    if not phones and not emails:
        return None
    q = Q(pk__in=[])
    if phones:
        q |= Q(phones__number__in=phones)
    if emails:
        q |= Q(emails__email__in=emails)
    return Contact.objects.filter(q).order_by("created_at", "id").first()


def open_deal_for(contact: Contact, *, pipeline_id: int | None = None) -> Deal | None:
    """The contact's most recent open deal, in ``pipeline_id`` if given."""
    qs = Deal.objects.filter(deal_contacts__contact=contact, status=Deal.Status.OPEN)
    if pipeline_id is not None:
        qs = qs.filter(pipeline_id=pipeline_id)
    return qs.select_related("owner", "stage", "pipeline").order_by("-created_at", "-id").first()
