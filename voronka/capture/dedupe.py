"""Finding the person behind a lead: the same phone (compared in E.164) or e-mail (compared
lower-case) is the same contact, whichever format the sender used."""

from __future__ import annotations

from collections.abc import Iterable

from voronka.crm.models import Contact, ContactEmail, ContactPhone
from voronka.deals.models import Deal


def contact_match(*, phones: Iterable[str], emails: Iterable[str]) -> Contact | None:
    """The oldest contact with any of the (already normalised) phones or e-mails."""
    phones, emails = list(phones), list(emails)
    if not phones and not emails:
        return None
    # Probes of the indexed number and e-mail columns, in one statement (a UNION); a new
    # person (the usual case) costs nothing more, and no join fans out however many
    # contacts there are.
    by_phone = ContactPhone.objects.filter(number__in=phones).values_list("contact_id")
    by_email = ContactEmail.objects.filter(email__in=emails).values_list("contact_id")
    probe = (by_phone.union(by_email) if phones and emails else by_phone if phones
             else by_email)
    ids = {contact_id for (contact_id,) in probe}
    if not ids:
        return None
    return Contact.objects.filter(pk__in=ids).order_by("created_at", "id").first()


def open_deal_for(contact: Contact, *, pipeline_id: int | None = None) -> Deal | None:
    """The contact's most recent open deal, in ``pipeline_id`` if given."""
    qs = Deal.objects.filter(deal_contacts__contact=contact, status=Deal.Status.OPEN)
    if pipeline_id is not None:
        qs = qs.filter(pipeline_id=pipeline_id)
    return qs.select_related("owner", "stage", "pipeline").order_by("-created_at", "-id").first()
