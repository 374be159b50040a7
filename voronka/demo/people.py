"""People and companies of the demo: the staff (every role), and generators of Russian
clients — names with patronymics, E.164-normalisable phones, e-mails, companies with valid
INNs and addresses. E-mail domains use the reserved ``.example``/``.test`` names, so the
demo can never write to a real mailbox."""

from __future__ import annotations

import random
from dataclasses import dataclass

from voronka.accounts.models import Role

STAFF_DOMAIN = "voronka.test"
# Passes Django's validators (length, not a common password); checked when the demo builds.
DEMO_PASSWORD = "voronka-demo"


@dataclass(frozen=True)
class Staff:
    email: str
    full_name: str
    role: str
    team: str | None = None  # funnel key (see funnels.FUNNELS)
    profile: str | None = None  # managers: the shape of their funnel (see profiles)


STAFF: tuple[Staff, ...] = (
    Staff(f"admin@{STAFF_DOMAIN}", "Андрей Волков", Role.ADMIN),
    Staff(f"marketer@{STAFF_DOMAIN}", "Марина Лебедева", Role.MARKETER),
    Staff(f"head.b2b@{STAFF_DOMAIN}", "Константин Горелов", Role.HEAD, "b2b"),
    Staff(f"o.orlova@{STAFF_DOMAIN}", "Ольга Орлова", Role.MANAGER, "b2b", "trapezoid"),
    Staff(f"s.kuznetsov@{STAFF_DOMAIN}", "Сергей Кузнецов", Role.MANAGER, "b2b", "pipe"),
    Staff(f"i.belova@{STAFF_DOMAIN}", "Ирина Белова", Role.MANAGER, "b2b", "barrel"),
    Staff(f"d.sokolov@{STAFF_DOMAIN}", "Дмитрий Соколов", Role.MANAGER, "b2b", "guitar"),
    Staff(f"head.web@{STAFF_DOMAIN}", "Елена Морозова", Role.HEAD, "web"),
    Staff(f"a.popova@{STAFF_DOMAIN}", "Анна Попова", Role.MANAGER, "web", "skirt"),
    Staff(f"m.vasiliev@{STAFF_DOMAIN}", "Максим Васильев", Role.MANAGER, "web", "trapezoid"),
    Staff(f"e.novikova@{STAFF_DOMAIN}", "Екатерина Новикова", Role.MANAGER, "web", "pipe"),
    Staff(f"head.doors@{STAFF_DOMAIN}", "Игорь Степанов", Role.HEAD, "doors"),
    Staff(f"t.fedorova@{STAFF_DOMAIN}", "Татьяна Федорова", Role.MANAGER, "doors", "trapezoid"),
    Staff(f"p.egorov@{STAFF_DOMAIN}", "Павел Егоров", Role.MANAGER, "doors", "guitar"),
    Staff(f"n.pavlova@{STAFF_DOMAIN}", "Наталья Павлова", Role.MANAGER, "doors", "barrel"),
)
# The admin is created last: its presence marks a finished demo build.
MARKER_EMAIL = STAFF[0].email

MALE = ("Александр", "Алексей", "Андрей", "Артём", "Борис", "Вадим", "Виктор", "Владимир",
        "Георгий", "Денис", "Евгений", "Иван", "Илья", "Кирилл", "Михаил", "Никита", "Олег",
        "Роман", "Руслан", "Станислав", "Тимур", "Фёдор", "Юрий", "Ярослав")
FEMALE = ("Алина", "Анастасия", "Валентина", "Вера", "Виктория", "Галина", "Дарья", "Евгения",
          "Ксения", "Лариса", "Людмила", "Мария", "Надежда", "Оксана", "Полина", "Светлана",
          "Юлия", "Яна")
SURNAMES = ("Абрамов", "Алексеев", "Андреев", "Антонов", "Баранов", "Беляев", "Богданов",
            "Быков", "Гаврилов", "Григорьев", "Гусев", "Данилов", "Жуков", "Зайцев", "Захаров",
            "Ильин", "Калинин", "Карпов", "Киселев", "Ковалев", "Комаров", "Крылов", "Куликов",
            "Лазарев", "Макаров", "Медведев", "Мельников", "Миронов", "Никитин", "Осипов",
            "Петров", "Поляков", "Романов", "Савельев", "Семенов", "Сидоров", "Смирнов",
            "Соловьев", "Тарасов", "Тихонов", "Фролов", "Чернов", "Шубин", "Яковлев",
            "Ковальский", "Вишневский", "Ким", "Цой")
PATRONYMICS = ("Александрович", "Алексеевич", "Андреевич", "Викторович", "Владимирович",
               "Дмитриевич", "Евгеньевич", "Иванович", "Игоревич", "Михайлович", "Николаевич",
               "Олегович", "Павлович", "Петрович", "Сергеевич", "Юрьевич")
POSITIONS = (("Генеральный директор", "decision_maker"), ("Коммерческий директор",
             "decision_maker"), ("Главный инженер", "influencer"),
             ("Начальник отдела снабжения", "influencer"), ("Менеджер по закупкам", "user"),
             ("Руководитель склада", "user"), ("Офис-менеджер", "gatekeeper"),
             ("Маркетолог", "influencer"), ("Собственник", "decision_maker"))
MOBILE_CODES = ("903", "905", "906", "909", "910", "912", "915", "916", "917", "919", "920",
                "921", "925", "926", "929", "950", "952", "960", "964", "977", "985", "999")
CITIES = (("Москва", "77", "495"), ("Москва", "77", "499"), ("Санкт-Петербург", "78", "812"),
          ("Екатеринбург", "66", "343"), ("Казань", "16", "843"), ("Новосибирск", "54", "383"),
          ("Московская обл., Подольск", "50", "496"), ("Нижний Новгород", "52", "831"))
STREETS = ("ул. Профсоюзная", "ул. Ленина", "пр-т Мира", "ул. Садовая", "Ленинградское ш.",
           "ул. Гагарина", "ул. Советская", "Проспект Вернадского", "ул. Молодёжная",
           "ул. Строителей", "Кутузовский пр-т", "ул. Лесная", "ул. Новая", "Невский пр-т")
ROOTS = ("Строй", "Техно", "Агро", "Пром", "Сиб", "Урал", "Волга", "Нева", "Альфа", "Вектор",
         "Гранит", "Кедр", "Меридиан", "Атлант", "Север", "Транс", "Мет", "Энерго", "Форт",
         "Дельта", "Ока", "Вега", "Сфера", "Прайм", "Гефест", "Магистраль", "Орион")
ENDINGS = ("Снаб", "Комплект", "Сервис", "Трейд", "Групп", "Маш", "Пласт", "Холод", "Лайн",
           "Инвест", "Пром", "Проект", "Монтаж", "Склад", "Логистик", "Фуд", "Строй", "Тех")
FORMS = ("ООО", "ООО", "ООО", "АО", "ООО", "ИП")
_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                     ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n",
                      "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "",
                      "y", "", "e", "yu", "ya"], strict=True))


def translit(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower() if ch.isalnum())


def _female_surname(surname: str) -> str:
    if surname.endswith(("ов", "ев", "ин")):
        return surname + "а"
    if surname.endswith("ский"):
        return surname[:-2] + "ая"
    return surname


def _female_patronymic(patronymic: str) -> str:
    return patronymic[:-2] + "на"  # Сергеевич → Сергеевна


@dataclass(frozen=True)
class Person:
    surname: str
    first: str
    patronymic: str
    female: bool

    @property
    def full_name(self) -> str:
        return f"{self.surname} {self.first} {self.patronymic}"

    @property
    def addressed(self) -> str:
        """How a manager writes the client in a task: first name and patronymic."""
        return f"{self.first} {self.patronymic}"


def person(rng: random.Random) -> Person:
    female = rng.random() < 0.45
    surname, patronymic = rng.choice(SURNAMES), rng.choice(PATRONYMICS)
    if female:
        return Person(_female_surname(surname), rng.choice(FEMALE),
                      _female_patronymic(patronymic), True)
    return Person(surname, rng.choice(MALE), patronymic, False)


def mobile(rng: random.Random) -> str:
    """A Russian mobile written the way people type it; the service stores it as E.164."""
    code, n = rng.choice(MOBILE_CODES), f"{rng.randrange(2_000_000, 9_999_999):07d}"
    style = rng.randrange(4)
    if style == 0:
        return f"+7 {code} {n[:3]}-{n[3:5]}-{n[5:]}"
    if style == 1:
        return f"8 ({code}) {n[:3]}-{n[3:5]}-{n[5:]}"
    if style == 2:
        return f"8{code}{n}"
    return f"+7{code}{n}"


def landline(rng: random.Random, area: str) -> str:
    digits = 10 - len(area)
    n = f"{rng.randrange(2 * 10 ** (digits - 1), 10 ** digits - 1):0{digits}d}"
    return f"+7 ({area}) {n}"


def inn10(rng: random.Random, region: str) -> str:
    """A legal entity's INN with a valid check digit (weights per the tax service)."""
    body = region + "".join(str(rng.randrange(10)) for _ in range(7))
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    check = sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11 % 10
    return body + str(check)


def inn12(rng: random.Random, region: str) -> str:
    """A sole trader's (ИП) twelve-digit INN with both check digits."""
    body = region + "".join(str(rng.randrange(10)) for _ in range(8))
    w1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
    c1 = sum(int(d) * w for d, w in zip(body, w1, strict=True)) % 11 % 10
    body += str(c1)
    w2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
    c2 = sum(int(d) * w for d, w in zip(body, w2, strict=True)) % 11 % 10
    return body + str(c2)


@dataclass(frozen=True)
class CompanyData:
    name: str
    inn: str
    website: str
    address: str
    domain: str
    area: str


class CompanyNames:
    """Unique, made-up company names (never a real firm's) with INN, site and address."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, rng: random.Random) -> CompanyData:
        city, region, area = rng.choice(CITIES)
        form = rng.choice(FORMS)
        while True:
            root = rng.choice(ROOTS) + rng.choice(ENDINGS)
            if root not in self.used:
                break
            root = root + rng.choice(("-М", " Плюс", "-Центр", " Регион"))
            if root not in self.used:
                break
        self.used.add(root)
        if form == "ИП":
            p = person(rng)
            name, inn = f"ИП {p.surname} {p.first[0]}. {p.patronymic[0]}.", inn12(rng, region)
            domain = translit(p.surname) + ".example"
        else:
            name, inn = f"{form} «{root}»", inn10(rng, region)
            domain = translit(root) + ".example"
        address = f"{city}, {rng.choice(STREETS)}, д. {rng.randrange(1, 120)}"
        return CompanyData(name, inn, f"https://{domain}", address, domain, area)


def work_email(p: Person, domain: str, rng: random.Random) -> str:
    first, last = translit(p.first), translit(p.surname)
    style = rng.randrange(3)
    local = (f"{first[0]}.{last}", f"{last}", f"{first}.{last}")[style]
    return f"{local}@{domain}"


def private_email(p: Person, rng: random.Random) -> str:
    host = rng.choice(("pochta.example", "inbox.example", "mail.example"))
    return f"{translit(p.surname)}{rng.randrange(1, 99)}@{host}"


def home_address(rng: random.Random) -> str:
    city = rng.choice(CITIES)[0]
    return (f"{city}, {rng.choice(STREETS)}, д. {rng.randrange(1, 150)}, "
            f"кв. {rng.randrange(1, 400)}")
