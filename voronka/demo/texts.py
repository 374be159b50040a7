"""The words of the demo: what managers write in tasks, notes and loss comments, and when
each funnel's fields get filled. Demo content is Russian data, like the seeds."""

from __future__ import annotations

import datetime
import random
from typing import Any

# When a field is filled: -1 at arrival, else when the deal leaves that stage. Required
# fields are also filled by their stage's requirement; this adds the optional ones.
FIELD_STAGE: dict[str, dict[str, int]] = {
    "b2b": {"industry": -1, "contract_no": 2, "shipment_date": 4},
    "web": {"project_type": 1, "launch_date": 1, "client_task": 3, "support": 4},
    "doors": {"doors_count": 0, "measure_date": 1, "openings": 2, "collection": 3,
              "installation": 3},
}
# Share of deals whose budget / company are known when they arrive (the seed-002 studio
# estimates the sum only on "Классификация"; a door buyer often names a budget at once).
BUDGET_AT_START = {"b2b": 0.6, "web": 0.0, "doors": 0.5}
COMPANY_AT_START = {"b2b": 0.85, "web": 0.4, "doors": 0.0}

# A task of a required kind when the stage's own task is of another kind.
EXTRA_TASKS: dict[str, tuple[str, str]] = {
    "meeting": ("Договориться о встрече в офисе клиента", "Встреча проведена"),
    "call": ("Договориться по телефону о следующем шаге", "Договорились"),
    "document": ("Договориться о сроке ответа по документам", "Документы отправлены"),
    "email": ("Договориться о получении письма с документами", "Письмо отправлено"),
    "follow_up": ("Договориться о следующем контакте", "Договорились"),
    "other": ("Договориться о следующем шаге", "Сделано"),
}
# Process wording, not an agreement (seed 003 §7): the wording check has something to flag.
SLOPPY_TASKS = ("Перезвонить, узнать что решили", "Созвон с клиентом",
                "Уточнить информацию по проекту", "Напомнить о себе", "Выйти на ЛПР")
LOST_RESULT = "Сделка закрыта: %(reason)s"
HANDOVER_NOTE = ("Передаю клиента из архива: %(name)s, попробуй вернуть — потребность "
                 "была настоящая.")
REOPEN = ("Клиент вернулся, потребность снова актуальна", "Появился бюджет на новый квартал",
          "Конкурент сорвал сроки, клиент вернулся к нам", "Сменился ЛПР, готовы обсуждать")
FACT_COMMENTS = ("", "", "Подтверждено письмом клиента", "Скан в папке сделки",
                 "Со слов ЛПР, письмо придёт завтра")
NOTES: dict[str, tuple[str, ...]] = {
    "b2b": ("ЛПР — финансовый директор, техническое решение за главным инженером",
            "Клиент сравнивает с двумя поставщиками, для него важен срок монтажа",
            "Просили перезвонить после 15-го: закрывают квартал",
            "Нужен выезд инженера на объект до согласования ТЗ",
            "Бюджет утверждён на год, закупка через тендерную комиссию"),
    "web": ("Клиенту важна интеграция с 1С и выгрузка заказов",
            "Есть старый сайт на Битриксе, домен и хостинг у клиента",
            "Прислали бриф и примеры сайтов, которые нравятся",
            "Запуск привязан к выставке, срок жёсткий",
            "Решение принимает собственник, маркетолог собирает предложения"),
    "doors": ("Ремонт в новостройке, двери нужны после чистовой отделки",
              "Клиент хочет скрытые двери под покраску",
              "Просили замер в субботу после 12:00",
              "Смотрели модели на сайте, понравилась серия «Модерн»",
              "Нужен демонтаж старых коробок, стены кирпичные"),
}
_LOSS_COMMENTS = {
    "Выбрали конкурента": "Ушли к конкуренту: у того дешевле примерно на 15%",
    "Дорого, не прошли по бюджету": "Бюджет урезали, проект переносят на следующий год",
    "Дорого": "Сказали, что дорого; предложили рассрочку — не заинтересовало",
    "Ушли к фрилансеру": "Нашли фрилансера в два раза дешевле",
    "Купили в другом магазине": "Купили в строительном гипермаркете, там была акция",
    "Не удалось выйти на ЛПР": "Секретарь не соединяет, на письма не отвечают",
}


def loss_comment(reason: str, rng: random.Random) -> str:
    """The manager's comment when archiving (often none)."""
    if rng.random() < 0.4:
        return _LOSS_COMMENTS.get(reason, "")
    return ""


def loss_note(reason: str, rng: random.Random) -> str:
    return rng.choice(("Итог разговора: ", "Отказ. ", "Клиент сообщил: ")) + reason.lower()


def field_value(code: str, lead_values: dict[str, Any], plan: Any,
                at: datetime.datetime, rng: random.Random) -> Any:
    """The value a manager enters into field ``code`` at ``at``."""
    if code == "contract_no":
        return f"Д-{at:%y}/{plan.index + 1:04d}"
    if code == "shipment_date":
        return (at + datetime.timedelta(days=rng.randrange(14, 45))).date().isoformat()
    if code == "launch_date":
        return (plan.created_at + datetime.timedelta(days=rng.randrange(30, 120))).date() \
            .isoformat()
    if code == "measure_date":
        return (at + datetime.timedelta(days=rng.randrange(1, 4))).date().isoformat()
    return lead_values[code]
