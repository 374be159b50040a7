"""Reads of contacts and companies, scoped: a manager sees what they own or work on."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from voronka.accounts.models import Role, User
from voronka.core.errors import NotFound
from voronka.deals.visibility import deal_scope_q

from .models import Company, Contact


def _scope(user: User, deal_prefix: str) -> Q:
    if user.is_admin or (user.role == Role.MARKETER and user.team_id is None):
        return Q()
    owned = Q(owner_id=user.pk)
    if user.role == Role.HEAD and user.team_id:
        owned |= Q(owner__team_id=user.team_id)
    return owned | deal_scope_q(user, prefix=deal_prefix)


def contact_list(*, user: User, search: str = "") -> QuerySet[Contact]:
    qs = Contact.objects.filter(
        pk__in=Contact.objects.filter(_scope(user, "deal_links__deal__")).values("pk"))
    if search:
        qs = qs.filter(Q(full_name__icontains=search) | Q(phones__number__contains=search)
                       | Q(emails__email__icontains=search)).distinct()
    return qs.select_related("company", "owner").prefetch_related("phones", "emails")


def contact_get(*, user: User, pk: int) -> Contact:
    try:
        return contact_list(user=user).get(pk=pk)
    except (Contact.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("contact") from exc


def contact_by_phone(*, user: User, phone: str) -> Contact | None:
    """The contact ``user`` may see with this phone (E.164), the oldest if several (as
    capture's dedupe picks)."""
    return (contact_list(user=user).filter(phones__number=phone)
            .order_by("created_at", "id").first()
            if phone else None)


def company_list(*, user: User, search: str = "") -> QuerySet[Company]:
    qs = Company.objects.filter(
        pk__in=Company.objects.filter(_scope(user, "deals__")).values("pk"))
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(inn__startswith=search))
    return qs.select_related("owner")


def company_get(*, user: User, pk: int) -> Company:
    try:
        return company_list(user=user).get(pk=pk)
    except (Company.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("company") from exc


def contact_duplicates(*, user: User, phones: list[str], emails: list[str]) -> list[Contact]:
    """Contacts ``user`` sees with one of these (normalised) phones or e-mails."""
    if not phones and not emails:
        return []
    return list(contact_list(user=user).filter(
        Q(phones__number__in=phones) | Q(emails__email__in=emails)).distinct()[:5])


def company_duplicates(*, user: User, name: str, inn: str = "") -> list[Company]:
    """Companies ``user`` sees with this name (any case) or INN."""
    same = Q(name__iexact=name.strip())
    if inn:
        same |= Q(inn=inn)
    return list(company_list(user=user).filter(same)[:5])
