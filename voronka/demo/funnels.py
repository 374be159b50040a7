"""The three demo funnels, as data: teams, stages with goals and exit requirements, loss
reasons, custom fields, lead sources and the base dynamics of each stage.

(a) K. Dubrovin's five-stage B2B funnel — seed 003, "Пример воронки продаж";
(b) the eleven-stage web-studio funnel of seed 002 with the checks its automation section
    describes (the linter flags it: too many stages, and the budget is set only on the
    second stage, "Классификация");
(c) the door-shop funnel of seed 004 ("Империя дверей"), its steps named as processes.

Each stage also carries its base dynamics — how long a deal usually stays (median days),
the share that goes on, the usual task ("Договориться…", seed 003 §7) and the calls made on
it — which the manager profiles (see ``profiles``) bend into individual funnel shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from voronka.accounts.models import Team
from voronka.pipelines.models import Pipeline
from voronka.pipelines.services import custom_field_create, pipeline_create, stage_create

DAY = 24


@dataclass(frozen=True)
class StageSpec:
    name: str
    goal: str
    requirements: tuple[dict[str, Any], ...]
    limit_hours: int | None
    probability: int
    dwell_days: float  # median time a deal spends on the stage
    conversion: float  # base share of deals that leave it forward (the rest are lost)
    task: tuple[str, str, str]  # (task kind, "Договориться…" wording, result when done)
    calls: float = 1.0  # mean number of calls while on the stage
    call_minutes: float = 4.0  # median length of an answered call


@dataclass(frozen=True)
class Reason:
    name: str
    early: float  # weight when lost on the first stage
    late: float  # weight when lost on the last stage


@dataclass(frozen=True)
class Source:
    name: str
    weight: float
    utm_source: str = ""
    utm_medium: str = ""
    campaigns: tuple[str, ...] = ()
    calls_in: bool = False  # the client's first contact is an incoming call

    @property
    def captured(self) -> bool:
        """The system opens the deal (web form, callback request, telephony), not a manager."""
        return bool(self.utm_source) or self.name == "Входящий звонок"


@dataclass(frozen=True)
class FunnelSpec:
    key: str
    team: str
    pipeline: str
    stages: tuple[StageSpec, ...]
    reasons: tuple[Reason, ...]
    custom_fields: tuple[dict[str, Any], ...]
    sources: tuple[Source, ...]
    share: float  # of all demo deals
    b2b: bool
    weekend_work: bool = False
    day_hours: tuple[int, int] = (9, 19)
    extra: dict[str, Any] = field(default_factory=dict)


def _req(kind: str, **kw: Any) -> dict[str, Any]:
    return {"kind": kind, **kw}


B2B = FunnelSpec(
    key="b2b",
    team="Отдел корпоративных продаж",
    pipeline="Корпоративные продажи оборудования",
    share=0.30,
    b2b=True,
    stages=(
        StageSpec("Договариваюсь о первой встрече", "Встреча с клиентом проведена",
                  (_req("field_filled", field_name="budget"),
                   _req("task_completed", task_kind="meeting")),
                  14 * DAY, 10, 12.0, 0.55,
                  ("meeting", "Договориться о первой встрече — {contact}",
                   "Встреча проведена, потребность выявлена"), 2.2, 4.0),
        StageSpec("Согласовываю ТЗ", "ТЗ согласовано с клиентом",
                  (_req("fact_confirmed", fact_name="ТЗ согласовано"),),
                  21 * DAY, 30, 18.0, 0.68,
                  ("call", "Договориться о согласовании ТЗ с главным инженером",
                   "ТЗ согласовано, версия подписана"), 2.5, 9.0),
        StageSpec("Подписываю договор", "Договор подписан обеими сторонами",
                  (_req("contact_attached"), _req("company_attached"),
                   _req("fact_confirmed", fact_name="Договор подписан")),
                  14 * DAY, 55, 14.0, 0.74,
                  ("document", "Договориться о дате подписания договора",
                   "Договор подписан, оригиналы получены"), 1.8, 7.0),
        StageSpec("Получаю оплату", "Оплата поступила на расчётный счёт",
                  (_req("payment_received", payment_share="1"),),
                  14 * DAY, 85, 10.0, 0.88,
                  ("call", "Договориться о сроке оплаты счёта",
                   "Оплата поступила"), 1.2, 3.0),
        StageSpec("Передаю в работу", "Производство приняло заказ в работу",
                  (_req("fact_confirmed", fact_name="Производство приняло заказ"),),
                  5 * DAY, 95, 4.0, 0.97,
                  ("other", "Договориться с производством о дате запуска заказа",
                   "Заказ принят производством"), 0.5, 5.0),
    ),
    reasons=(
        Reason("Дорого, не прошли по бюджету", 1.0, 3.0),
        Reason("Выбрали конкурента", 0.6, 2.5),
        Reason("Нет потребности", 3.0, 0.2),
        Reason("Не удалось выйти на ЛПР", 2.5, 0.3),
        Reason("Проект заморожен клиентом", 0.8, 1.5),
        Reason("Не устроили сроки производства", 0.2, 1.5),
        Reason("Не прошли тендер", 0.3, 1.2),
        Reason("Перестал выходить на связь", 2.0, 1.0),
    ),
    custom_fields=(
        {"code": "industry", "name": "Отрасль клиента", "kind": "choice",
         "choices": ["Производство", "Логистика и склады", "Ритейл", "Строительство",
                     "Агропромышленность", "Пищевая промышленность"]},
        {"code": "contract_no", "name": "Номер договора", "kind": "text"},
        {"code": "shipment_date", "name": "Дата отгрузки", "kind": "date"},
    ),
    sources=(
        Source("Заявка с сайта", 3.0, "yandex", "cpc", ("b2b_stellazhi", "b2b_mezonin",
                                                         "b2b_angary")),
        Source("Входящий звонок", 2.0, calls_in=True),
        Source("Холодный звонок", 2.5),
        Source("Выставка", 1.2, campaigns=("Металлообработка", "CeMAT Russia")),
        Source("Рекомендация", 1.5, calls_in=True),
        Source("Тендерная площадка", 1.0),
    ),
    extra={"products": (
        ("Складские стеллажи", 400_000, 3_000_000),
        ("Мезонин", 800_000, 5_000_000),
        ("Металлоконструкции ангара", 2_000_000, 12_000_000),
        ("Линия упаковки", 1_500_000, 9_000_000),
        ("Сервисное обслуживание оборудования", 150_000, 600_000),
    )},
)

WEB = FunnelSpec(
    key="web",
    team="Веб-студия: отдел продаж",
    pipeline="Веб-студия: разработка сайтов",
    share=0.25,
    b2b=True,
    stages=(
        StageSpec("Входящая заявка", "Заявка зафиксирована, есть контакт клиента",
                  (_req("contact_attached"),), 1 * DAY, 5, 0.5, 0.9,
                  ("other", "Договориться с клиентом о времени разговора",
                   "Клиент на связи"), 0.6, 2.0),
        StageSpec("Классификация", "Оценены сумма и тип проекта",
                  (_req("field_filled", field_name="budget"),
                   _req("field_filled", custom_field="project_type")),
                  2 * DAY, 10, 1.5, 0.85,
                  ("other", "Договориться о бюджете и сроках проекта",
                   "Проект классифицирован"), 1.0, 5.0),
        StageSpec("Назначение встречи", "Встреча назначена: кто, с кем, где и во сколько",
                  (_req("task_completed", task_kind="call"),), 5 * DAY, 15, 4.0, 0.78,
                  ("call", "Договориться о встрече: место, время, участники",
                   "Встреча назначена"), 1.6, 3.0),
        StageSpec("Встреча", "Встреча проведена, задача клиента записана",
                  (_req("task_completed", task_kind="meeting"),
                   _req("field_filled", custom_field="client_task"),
                   _req("company_attached"), _req("contact_attached")),
                  14 * DAY, 25, 8.0, 0.72,
                  ("meeting", "Договориться на встрече о задаче и рамках проекта",
                   "Встреча проведена, задача записана"), 1.0, 6.0),
        StageSpec("Отправка КП", "Коммерческое предложение отправлено",
                  (_req("task_completed", task_kind="document"),), 3 * DAY, 35, 1.5, 0.9,
                  ("document", "Договориться о дате обсуждения КП", "КП отправлено"),
                  0.8, 4.0),
        StageSpec("Согласование", "Договор подписан",
                  (_req("fact_confirmed", fact_name="Договор подписан"),),
                  14 * DAY, 50, 12.0, 0.68,
                  ("follow_up", "Договориться о подписании договора",
                   "Договор подписан"), 2.0, 8.0),
        StageSpec("Выставление счета", "Счёт на предоплату отправлен клиенту",
                  (_req("fact_confirmed", fact_name="Счёт на предоплату отправлен"),),
                  2 * DAY, 65, 0.8, 0.97,
                  ("email", "Договориться о сроке оплаты счёта на предоплату",
                   "Счёт отправлен"), 0.4, 3.0),
        StageSpec("Предоплата", "Получена предоплата 50%",
                  (_req("payment_received", payment_share="0.5"),), 10 * DAY, 75, 5.0, 0.88,
                  ("follow_up", "Договориться о дате поступления предоплаты",
                   "Предоплата поступила"), 0.8, 3.0),
        StageSpec("В работе", "Работы выполнены, проект передан на приёмку",
                  (_req("fact_confirmed", fact_name="Проект готов к сдаче"),),
                  45 * DAY, 85, 24.0, 0.95,
                  ("other", "Договориться с заказчиком о дате сдачи проекта",
                   "Проект готов к сдаче"), 1.5, 6.0),
        StageSpec("Прием", "Заказчик принял работу, акт подписан",
                  (_req("fact_confirmed", fact_name="Акт приёмки подписан"),),
                  7 * DAY, 90, 4.0, 0.95,
                  ("meeting", "Договориться о подписании акта приёмки", "Акт подписан"),
                  1.0, 7.0),
        StageSpec("Полная оплата", "Получена полная оплата",
                  (_req("payment_received", payment_share="1"),), 14 * DAY, 95, 6.0, 0.96,
                  ("follow_up", "Договориться о дате окончательной оплаты",
                   "Оплата получена полностью"), 0.6, 3.0),
    ),
    reasons=(
        Reason("Нецелевая заявка", 4.0, 0.0),
        Reason("Не выходит на связь", 3.0, 0.8),
        Reason("Дорого", 0.8, 3.0),
        Reason("Ушли к фрилансеру", 0.6, 2.0),
        Reason("Выбрали другую студию", 0.5, 2.5),
        Reason("Не устроили сроки", 0.3, 1.2),
        Reason("Не договорились по ТЗ", 0.2, 1.5),
        Reason("Проект отменён заказчиком", 0.3, 1.5),
    ),
    custom_fields=(
        {"code": "project_type", "name": "Тип проекта", "kind": "choice",
         "choices": ["Лендинг", "Корпоративный сайт", "Интернет-магазин",
                     "Дизайн интернет-магазина", "Мобильное приложение", "Доработка сайта"]},
        {"code": "client_task", "name": "Задача клиента", "kind": "text"},
        {"code": "launch_date", "name": "Желаемая дата запуска", "kind": "date"},
        {"code": "support", "name": "Нужна техподдержка", "kind": "boolean"},
    ),
    sources=(
        Source("Заявка с сайта", 4.0, "yandex", "cpc", ("web_shop", "web_landing",
                                                         "web_corporate")),
        Source("Заявка с сайта", 2.0, "google", "cpc", ("web_shop", "web_corporate")),
        Source("Обратный звонок", 1.5, "vk", "social", ("web_retarget",)),
        Source("Входящий звонок", 1.5, calls_in=True),
        Source("Рекомендация", 1.8, calls_in=True),
        Source("Каталог студий", 1.0, "ratingruneta", "referral", ("catalog",)),
    ),
    extra={"projects": {
        "Лендинг": (50_000, 150_000),
        "Корпоративный сайт": (150_000, 500_000),
        "Интернет-магазин": (300_000, 1_500_000),
        "Дизайн интернет-магазина": (50_000, 300_000),
        "Мобильное приложение": (600_000, 3_000_000),
        "Доработка сайта": (30_000, 200_000),
    }},
)

DOORS = FunnelSpec(
    key="doors",
    team="Империя дверей: салоны",
    pipeline="Продажа дверей с замером",
    share=0.45,
    b2b=False,
    weekend_work=True,
    day_hours=(10, 20),
    stages=(
        StageSpec("Выясняю потребность по звонку",
                  "Известны адрес, число дверей и ориентир по бюджету",
                  (_req("field_filled", field_name="budget"), _req("contact_attached"),
                   _req("field_filled", custom_field="doors_count")),
                  1 * DAY, 5, 0.5, 0.78,
                  ("other", "Договориться о бюджете и количестве дверей",
                   "Потребность выяснена"), 1.0, 4.0),
        StageSpec("Договариваюсь о замере", "Замерщик записан, клиент подтвердил дату",
                  (_req("task_completed", task_kind="call"),
                   _req("field_filled", custom_field="measure_date")),
                  3 * DAY, 15, 2.5, 0.85,
                  ("call", "Договориться о дате и времени замера", "Замер назначен"),
                  1.3, 2.5),
        StageSpec("Провожу замер на дому", "Замер выполнен, размеры проёмов внесены",
                  (_req("task_completed", task_kind="meeting"),
                   _req("field_filled", custom_field="openings")),
                  5 * DAY, 35, 4.0, 0.82,
                  ("meeting", "Договориться с клиентом о визите замерщика",
                   "Замер выполнен"), 0.8, 3.0),
        StageSpec("Подбираю модель в салоне", "Клиент выбрал модель в салоне",
                  (_req("field_filled", custom_field="collection"),),
                  10 * DAY, 60, 8.0, 0.62,
                  ("follow_up", "Договориться о визите в салон для выбора модели",
                   "Модель выбрана"), 1.2, 5.0),
        StageSpec("Оформляю заказ и принимаю оплату", "Заказ оформлен и оплачен",
                  (_req("payment_received", payment_share="1"),), 7 * DAY, 85, 5.0, 0.9,
                  ("call", "Договориться о дате оплаты и доставки", "Заказ оплачен"),
                  0.8, 3.0),
    ),
    reasons=(
        Reason("Не дозвонились", 3.0, 0.3),
        Reason("Дорого", 1.2, 2.5),
        Reason("Купили в другом магазине", 0.8, 2.5),
        Reason("Передумали делать ремонт", 1.5, 0.8),
        Reason("Не устроили сроки поставки", 0.2, 1.8),
        Reason("Нет нужной модели или размера", 0.3, 1.5),
        Reason("Нестандартный проём, не беремся", 0.1, 0.6),
    ),
    custom_fields=(
        {"code": "doors_count", "name": "Количество дверей", "kind": "number"},
        {"code": "measure_date", "name": "Дата замера", "kind": "date"},
        {"code": "openings", "name": "Размеры проёмов", "kind": "text"},
        {"code": "collection", "name": "Коллекция", "kind": "choice",
         "choices": ["Классика", "Неоклассика", "Модерн", "Скандинавия", "Лофт",
                     "Входные «Гарант»"]},
        {"code": "installation", "name": "Нужен монтаж", "kind": "boolean"},
    ),
    sources=(
        Source("Входящий звонок", 4.0, calls_in=True),
        Source("Заявка с сайта", 2.5, "yandex", "cpc", ("doors_interior", "doors_entrance")),
        Source("Обратный звонок", 2.0, "yandex", "cpc", ("doors_callback",)),
        Source("Авито", 1.5, "avito", "classified", ("doors_avito",), calls_in=True),
        Source("Рекомендация", 1.0, calls_in=True),
        Source("Пришёл в салон", 1.2),
    ),
    extra={"collections": {
        "Классика": (12_000, 25_000), "Неоклассика": (15_000, 30_000),
        "Модерн": (18_000, 40_000), "Скандинавия": (10_000, 20_000),
        "Лофт": (20_000, 45_000), "Входные «Гарант»": (35_000, 120_000),
    }},
)

FUNNELS: tuple[FunnelSpec, ...] = (B2B, WEB, DOORS)


def create_pipeline(spec: FunnelSpec, team: Team) -> Pipeline:
    """Create the pipeline through the services: stages, custom fields, requirements,
    loss reasons. Custom fields come before the stages' requirements that name them."""
    pipeline = pipeline_create(actor=None, team=team, name=spec.pipeline,
                               loss_reasons=[r.name for r in spec.reasons])
    for cf in spec.custom_fields:
        custom_field_create(actor=None, pipeline=pipeline, name=cf["name"], kind=cf["kind"],
                            code=cf["code"], choices=cf.get("choices"))
    for stage in spec.stages:
        stage_create(actor=None, pipeline=pipeline, name=stage.name, goal=stage.goal,
                     time_limit_hours=stage.limit_hours, probability=stage.probability,
                     requirements=[dict(r) for r in stage.requirements])
    return pipeline


def requirement_kinds() -> set[str]:
    """Every requirement kind the demo funnels use (all of them, so every gate is shown)."""
    return {r["kind"] for f in FUNNELS for s in f.stages for r in s.requirements}

