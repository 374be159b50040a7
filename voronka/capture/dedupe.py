"""Finding the person behind a lead: the same phone (compared in E.164) or e-mail (compared
lower-case) is the same contact, whichever format the sender used."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connections, router

from voronka.crm.models import Contact, ContactEmail, ContactPhone
from voronka.deals.models import Deal


def contact_match(*, phones: Iterable[str], emails: Iterable[str]) -> Contact | None:
    """The oldest contact with any of the (already normalised) phones or e-mails."""
    phones, emails = list(phones), list(emails)
    if not phones and not emails:
        return None
    # Probes of the indexed number and e-mail columns, in one statement (a UNION); a new
    # person (the usual case) costs nothing more, and no join fans out however many
    # contacts there are. Written out: it runs under the channel lock, and its ORM form
    # cost more Python than the statement costs the database.
    conn = connections[router.db_for_read(ContactPhone)]
    q = conn.ops.quote_name
    probes, params = [], []
    for model, column, values in ((ContactPhone, "number", phones),
                                  (ContactEmail, "email", emails)):
        if values:
            meta = model._meta
            probes.append(f"SELECT {q(meta.get_field('contact').column)} FROM"
                          f" {q(meta.db_table)} WHERE {q(meta.get_field(column).column)}"
                          f" IN ({', '.join(['%s'] * len(values))})")
            params += values
    with conn.cursor() as cursor:
        cursor.execute(" UNION ".join(probes), params)
        ids = {contact_id for (contact_id,) in cursor.fetchall()}
    if not ids:
        return None
    return Contact.objects.filter(pk__in=ids).order_by("created_at", "id").first()


def open_deal_for(contact: Contact, *, pipeline_id: int | None = None) -> Deal | None:
    """The contact's most recent open deal, in ``pipeline_id`` if given."""
    qs = Deal.objects.filter(deal_contacts__contact=contact, status=Deal.Status.OPEN)
    if pipeline_id is not None:
        qs = qs.filter(pipeline_id=pipeline_id)
    return qs.select_related("owner", "stage", "pipeline").order_by("-created_at", "-id").first()
