"""What a column can mean (targets per kind) and the ready-made mappings: amoCRM's and
Bitrix24's standard export columns and our own published template
(voronka/imports/data/import-template.csv, offered on the import page).

A mapping is ``{target: column header}``. Presets list, per target, the header names the
source system uses; the first one found in the file wins. Headers are compared trimmed and
case-insensitively.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .models import Kind

UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")

TARGETS: dict[str, dict[str, object]] = {
    Kind.DEALS: {
        "external_id": _("ID in the source"), "title": _("Title"), "pipeline": _("Pipeline"),
        "stage": _("Stage"), "status": _("Status"), "owner": _("Owner (e-mail or name)"),
        "budget": _("Budget"), "created_at": _("Created at"), "closed_at": _("Closed at"),
        "expected_close_date": _("Expected close date"), "loss_reason": _("Loss reason"),
        "loss_comment": _("Loss comment"), "source": _("Source"),
        **{u: u for u in UTM},
        "company": _("Company"), "company_inn": _("Company tax number (INN)"),
        "contact": _("Contact"), "contact_phone": _("Contact phone"),
        "contact_phone2": _("Contact phone (second)"), "contact_email": _("Contact e-mail"),
        "contact_email2": _("Contact e-mail (second)"), "contact_position": _("Contact position"),
    },
    Kind.CONTACTS: {
        "external_id": _("ID in the source"), "full_name": _("Full name"),
        "first_name": _("First name"), "last_name": _("Last name"),
        "phone": _("Phone"), "phone2": _("Phone (second)"), "email": _("E-mail"),
        "email2": _("E-mail (second)"), "position": _("Position"), "company": _("Company"),
        "owner": _("Owner (e-mail or name)"), "created_at": _("Created at"),
    },
    Kind.COMPANIES: {
        "external_id": _("ID in the source"), "name": _("Name"), "inn": _("Tax number (INN)"),
        "website": _("Website"), "address": _("Address"), "owner": _("Owner (e-mail or name)"),
        "created_at": _("Created at"),
    },
}
# Deal custom fields are targets "custom:<code>" of the chosen pipeline.
CUSTOM_PREFIX = "custom:"

# Our template: the export's own headers, so an export imports back unchanged.
TEMPLATE: dict[str, dict[str, list[str]]] = {
    Kind.DEALS: {t: [t] for t in TARGETS[Kind.DEALS]} | {"external_id": ["id"]},
    Kind.CONTACTS: {t: [t] for t in TARGETS[Kind.CONTACTS]} | {"external_id": ["id"]},
    Kind.COMPANIES: {t: [t] for t in TARGETS[Kind.COMPANIES]} | {"external_id": ["id"]},
}

AMOCRM: dict[str, dict[str, list[str]]] = {
    Kind.DEALS: {
        "external_id": ["ID"], "title": ["Название сделки", "Название"],
        "pipeline": ["Воронка"], "stage": ["Этап сделки", "Этап", "Статус"],
        "owner": ["Ответственный"], "budget": ["Бюджет"],
        "created_at": ["Дата создания", "Дата создания сделки"],
        "closed_at": ["Дата закрытия"], "loss_reason": ["Причина отказа"],
        "source": ["Источник", "Теги"],
        "company": ["Компания", "Название компании"],
        "contact": ["Основной контакт", "Контакт", "Полное имя контакта"],
        "contact_phone": ["Рабочий телефон", "Мобильный телефон", "Телефон"],
        "contact_phone2": ["Мобильный телефон", "Другой телефон", "Домашний телефон"],
        "contact_email": ["Рабочий email", "Рабочий e-mail", "Email", "Личный email"],
        "contact_email2": ["Личный email", "Другой email"],
        "contact_position": ["Должность"],
        **{u: [u, u.upper()] for u in UTM},
    },
    Kind.CONTACTS: {
        "external_id": ["ID"], "full_name": ["Полное имя", "Имя контакта", "Контакт"],
        "first_name": ["Имя"], "last_name": ["Фамилия"],
        "phone": ["Рабочий телефон", "Мобильный телефон", "Телефон"],
        "phone2": ["Мобильный телефон", "Другой телефон", "Домашний телефон"],
        "email": ["Рабочий email", "Рабочий e-mail", "Email"],
        "email2": ["Личный email", "Другой email"], "position": ["Должность"],
        "company": ["Компания"], "owner": ["Ответственный"], "created_at": ["Дата создания"],
    },
    Kind.COMPANIES: {
        "external_id": ["ID"], "name": ["Название", "Название компании", "Компания"],
        "inn": ["ИНН"], "website": ["Web", "Сайт"], "address": ["Адрес"],
        "owner": ["Ответственный"], "created_at": ["Дата создания"],
    },
}

BITRIX24: dict[str, dict[str, list[str]]] = {
    Kind.DEALS: {
        "external_id": ["ID"], "title": ["Название сделки", "Название"],
        "pipeline": ["Воронка", "Направление"], "stage": ["Стадия сделки", "Стадия"],
        "owner": ["Ответственный"], "budget": ["Сумма", "Сумма сделки"],
        "created_at": ["Дата создания"], "closed_at": ["Дата закрытия"],
        "expected_close_date": ["Предполагаемая дата закрытия"],
        "loss_reason": ["Причина провала", "Причина отказа"],
        "loss_comment": ["Комментарий"], "source": ["Источник"],
        "company": ["Компания", "Название компании"], "contact": ["Контакт"],
        "contact_phone": ["Рабочий телефон", "Мобильный телефон", "Телефон"],
        "contact_email": ["Рабочий e-mail", "E-mail", "Email"],
        **{u: [u.upper().replace("_", " ").replace("UTM ", "UTM "), u, u.upper()] for u in UTM},
    },
    Kind.CONTACTS: {
        "external_id": ["ID"], "first_name": ["Имя"], "last_name": ["Фамилия"],
        "full_name": ["Контакт", "ФИО"],
        "phone": ["Рабочий телефон", "Мобильный телефон", "Телефон"],
        "phone2": ["Мобильный телефон", "Домашний телефон"],
        "email": ["Рабочий e-mail", "E-mail", "Email"], "email2": ["Частный e-mail"],
        "position": ["Должность"], "company": ["Компания"], "owner": ["Ответственный"],
        "created_at": ["Дата создания"],
    },
    Kind.COMPANIES: {
        "external_id": ["ID"], "name": ["Название компании", "Название"],
        "inn": ["ИНН"], "website": ["Корпоративный сайт", "Сайт"], "address": ["Адрес"],
        "owner": ["Ответственный"], "created_at": ["Дата создания"],
    },
}

PRESETS = {"template": TEMPLATE, "amocrm": AMOCRM, "bitrix24": BITRIX24}
PRESET_NAMES = {"template": _("Voronka template"), "amocrm": "amoCRM", "bitrix24": "Bitrix24"}

# Stage names of the source systems that mean a closed deal, not a stage of the funnel.
WON_WORDS = {"won", "успешно реализовано", "сделка успешна", "успешна", "выиграна",
             "успешно", "закрыта успешно"}
LOST_WORDS = {"lost", "закрыто и не реализовано", "сделка провалена", "провалена",
              "проиграна", "анализ причины провала", "закрыта неуспешно"}
OPEN_WORDS = {"open", "открыта", "в работе", ""}


def _key(text: str) -> str:
    return " ".join((text or "").split()).lower()


def guess_mapping(kind: str, header: list[str], preset: str = "template",
                  custom_codes: list[str] = ()) -> dict[str, str]:
    """The mapping a preset gives for this file: each target → the first of its known
    headers present (a header is used once)."""
    present = {_key(h): h for h in header}
    names = PRESETS.get(preset, TEMPLATE)[kind]
    used: set[str] = set()
    out: dict[str, str] = {}
    candidates = dict(names)
    for code in custom_codes:
        candidates.setdefault(CUSTOM_PREFIX + code, [CUSTOM_PREFIX + code, code])
    for target, aliases in candidates.items():
        for alias in [*aliases, target]:
            col = present.get(_key(alias))
            if col is not None and col not in used:
                out[target] = col
                used.add(col)
                break
    return out


def detect_preset(header: list[str]) -> str:
    """Which preset names most of the file's columns."""
    keys = {_key(h) for h in header}
    best, best_n = "template", 0
    for name, preset in PRESETS.items():
        n = sum(1 for kind in preset.values() for aliases in kind.values()
                if any(_key(a) in keys for a in aliases))
        if n > best_n:
            best, best_n = name, n
    return best
