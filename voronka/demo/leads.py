"""What a new demo deal looks like when it arrives: when, from which source, for whom, what
it is about and its budget. Pure functions of a ``random.Random``: no database."""

from __future__ import annotations

import datetime
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from . import people
from .funnels import FunnelSpec, Source

REPEAT_SOURCE = Source("Повторная продажа", 0.0)


@dataclass
class ContactPlan:
    person: people.Person
    position: str
    role: str
    phones: list[str]
    emails: list[str]


@dataclass
class Lead:
    subject: str  # what is sold: a product, a kind of project, doors
    title: str
    budget: Decimal
    source: Source
    utm: dict[str, str]
    company: people.CompanyData | None
    contacts: list[ContactPlan]
    custom: dict[str, Any] = field(default_factory=dict)


def _local(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value)


def _season(spec: FunnelSpec, month: int) -> float:
    if spec.key == "doors":  # renovation season
        return {12: 0.7, 1: 0.6, 2: 0.8, 3: 1.1, 4: 1.3, 5: 1.4, 6: 1.3, 7: 1.2,
                8: 1.3, 9: 1.2}.get(month, 1.0)
    if spec.key == "b2b":  # holidays in January, budgets spent at the year's end
        return {1: 0.5, 5: 0.85, 8: 0.8, 11: 1.2, 12: 1.25}.get(month, 1.0)
    return {1: 0.6, 7: 0.85, 8: 0.85, 9: 1.2, 10: 1.25, 11: 1.2}.get(month, 1.0)


def creation_times(spec: FunnelSpec, count: int, as_of: datetime.datetime,
                   rng: random.Random) -> list[datetime.datetime]:
    """``count`` arrival times over the 365 days before ``as_of``: the business grows,
    follows its season and works its own week and hours."""
    today = _local(as_of).date()
    days = list(range(365))
    weights = []
    for back in days:
        day = today - datetime.timedelta(days=back)
        weekday = day.weekday()
        week = (1.0 if weekday < 5 else (0.9 if spec.weekend_work else 0.12))
        weights.append((1.0 + 0.6 * (365 - back) / 365) * _season(spec, day.month) * week)
    start, end = spec.day_hours
    out = []
    for back in rng.choices(days, weights=weights, k=count):
        day = today - datetime.timedelta(days=back)
        minutes = rng.randrange((end - start) * 60)
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(start))) \
            + datetime.timedelta(minutes=minutes)
        if moment >= as_of:  # later today: not arrived yet, so it came yesterday
            moment -= datetime.timedelta(days=1)
        out.append(moment)
    return sorted(out)


def working_time(moment: datetime.datetime, spec: FunnelSpec,
                 rng: random.Random) -> datetime.datetime:
    """Move ``moment`` forward into the funnel's working hours (people work by day)."""
    local = _local(moment)
    start, end = spec.day_hours
    if local.hour >= end:
        local = (local + datetime.timedelta(days=1)).replace(hour=start, minute=0)
        local += datetime.timedelta(minutes=rng.randrange(120))
    elif local.hour < start:
        local = local.replace(hour=start, minute=rng.randrange(60))
    if not spec.weekend_work and local.weekday() >= 5:
        local = (local + datetime.timedelta(days=7 - local.weekday())).replace(
            hour=start, minute=0) + datetime.timedelta(minutes=rng.randrange(90))
    return local.replace(microsecond=0)


def _money(value: float, step: int) -> Decimal:
    return Decimal(max(step, int(round(value / step)) * step))


def _spread(low: int, high: int, rng: random.Random) -> float:
    """Between low and high, skewed to the low end (most orders are small)."""
    return low * math.exp(math.log(high / low) * rng.random() ** 1.4)


def _contact(spec: FunnelSpec, company: people.CompanyData | None, rng: random.Random,
             position: tuple[str, str] | None = None) -> ContactPlan:
    who = people.person(rng)
    phones = [people.mobile(rng)]
    if company is not None:
        title, role = position or rng.choice(people.POSITIONS)
        if rng.random() < 0.35:
            phones.append(people.landline(rng, company.area))
        emails = [people.work_email(who, company.domain, rng)]
        return ContactPlan(who, title, role, phones, emails)
    emails = [people.private_email(who, rng)] if rng.random() < 0.4 else []
    return ContactPlan(who, "", "decision_maker", phones, emails)


def _source(spec: FunnelSpec, rng: random.Random) -> tuple[Source, dict[str, str]]:
    source = rng.choices(spec.sources, weights=[s.weight for s in spec.sources])[0]
    utm: dict[str, str] = {}
    if source.utm_source:
        utm = {"utm_source": source.utm_source, "utm_medium": source.utm_medium,
               "utm_campaign": rng.choice(source.campaigns)}
        if source.utm_medium == "cpc":
            utm["utm_term"] = rng.choice(("купить", "цена", "заказать", "под ключ"))
    elif source.campaigns:
        utm = {"utm_campaign": rng.choice(source.campaigns)}
    return source, utm


def _doors_word(count: int) -> str:
    if count % 10 == 1 and count % 100 != 11:
        return "дверь"
    if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
        return "двери"
    return "дверей"


def _short(company: people.CompanyData) -> str:
    return company.name.split(" ", 1)[1] if company.name.startswith(("ООО", "АО")) \
        else company.name


def new_lead(spec: FunnelSpec, rng: random.Random, names: people.CompanyNames) -> Lead:
    """A new client's request in the funnel ``spec``."""
    source, utm = _source(spec, rng)
    if spec.key == "b2b":
        company = names.make(rng)
        product, low, high = rng.choice(spec.extra["products"])
        contacts = [_contact(spec, company, rng, rng.choice(people.POSITIONS[:4]))]
        contacts += [_contact(spec, company, rng) for _ in range(rng.choice((0, 0, 1, 2)))]
        industry = rng.choice(spec.custom_fields[0]["choices"])
        return Lead(product, f"{product} для {_short(company)}",
                    _money(_spread(low, high, rng), 10_000), source, utm, company, contacts,
                    {"industry": industry})
    if spec.key == "web":
        company = names.make(rng)
        kinds = spec.extra["projects"]
        kind = rng.choices(list(kinds), weights=(3, 3, 2, 1.5, 0.6, 2))[0]
        contacts = [_contact(spec, company, rng, ("Маркетолог", "influencer")
                             if rng.random() < 0.3 else people.POSITIONS[0])]
        if rng.random() < 0.3:
            contacts.append(_contact(spec, company, rng, ("Собственник", "decision_maker")))
        task = rng.choice((
            "Нужен новый сайт с каталогом и заявками в CRM",
            "Редизайн: сайт устарел, с мобильных не работает",
            "Запуск интернет-магазина, 2 000 товаров, выгрузка из 1С",
            "Лендинг под рекламную кампанию, срок — месяц",
            "Личный кабинет клиента и онлайн-оплата",
            "Перенос сайта на новую платформу без потери позиций"))
        return Lead(kind, f"{kind}: {_short(company)}",
                    _money(_spread(*kinds[kind], rng), 5_000), source, utm, company, contacts,
                    {"project_type": kind, "client_task": task,
                     "support": rng.random() < 0.45})
    collections = spec.extra["collections"]
    collection = rng.choices(list(collections), weights=(3, 2.5, 2, 2.5, 1.2, 1.5))[0]
    count = 1 if collection.startswith("Входные") else rng.choices(
        (1, 2, 3, 4, 5, 6, 8), weights=(3, 3, 3, 2, 1.5, 1, 0.5))[0]
    install = rng.random() < 0.7
    low, high = collections[collection]
    price = sum(rng.uniform(low, high) for _ in range(count)) + (4_500 * count if install else 0)
    contact = _contact(spec, None, rng)
    sizes = ", ".join(rng.choice(("2000×800", "2000×700", "2000×600", "2100×900", "2050×860"))
                      for _ in range(count))
    return Lead("doors", f"{count} {_doors_word(count)}, {contact.person.surname} "
                f"{contact.person.first[0]}. {contact.person.patronymic[0]}.",
                _money(price, 100), source, utm, None, [contact],
                {"doors_count": count, "collection": collection, "installation": install,
                 "openings": f"Проёмы: {sizes}; адрес: {people.home_address(rng)}"})


def repeat_lead(spec: FunnelSpec, lead: Lead, previous: Lead) -> Lead:
    """``lead`` turned into a new order from the client of ``previous``."""
    assert previous.company is not None
    short = _short(previous.company)
    title = (f"{lead.subject}: {short}, повторный заказ" if spec.key == "web"
             else f"{lead.subject} для {short}, повторный заказ")
    custom = dict(lead.custom)
    if "industry" in previous.custom:
        custom["industry"] = previous.custom["industry"]
    return Lead(lead.subject, title, lead.budget, REPEAT_SOURCE, {}, previous.company,
                previous.contacts[:1], custom)
