"""Custom deal fields: the value cleaner (property-based) and the services that store values."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voronka.core.errors import ValidationError
from voronka.core.models import FieldChange
from voronka.deals.models import Deal
from voronka.deals.services import deal_create, deal_update
from voronka.pipelines.fields import TEXT_MAX, FieldValueError, clean_custom_value
from voronka.pipelines.models import CustomField
from voronka.pipelines.services import custom_field_create

from .factories import make_deal, plain_pipeline

Kind = CustomField.Kind
CHOICES = ["Опт", "Розница", "Дилер"]
BOUND = Decimal("1e15")


def field(kind: str) -> CustomField:
    return CustomField(code="f", name="F", kind=kind, choices=CHOICES if kind == "choice" else [])


NUMBER, MONEY, DATE, CHOICE, BOOLEAN, TEXT = (field(k) for k in (
    Kind.NUMBER, Kind.MONEY, Kind.DATE, Kind.CHOICE, Kind.BOOLEAN, Kind.TEXT))


def places(value: Decimal) -> int:
    return max(0, -value.as_tuple().exponent)


# --- numbers and money never lose precision -------------------------------------------------

exact_decimals = st.integers(0, 20).flatmap(lambda p: st.decimals(
    min_value=-BOUND + 1, max_value=BOUND - 1, places=p, allow_nan=False,
    allow_infinity=False))


@given(exact_decimals)
def test_number_keeps_every_digit(value):
    for raw in (value, str(value), str(value).replace(".", ",")):
        out = clean_custom_value(NUMBER, raw)
        assert isinstance(out, str) and "E" not in out.upper()
        assert Decimal(out) == value
        assert clean_custom_value(NUMBER, out) == out  # stored form is a fixed point


@given(st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1))
def test_whole_numbers_stay_whole(value):
    assert clean_custom_value(NUMBER, value) == str(value)
    assert clean_custom_value(NUMBER, f" {value} ") == str(value)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e14, max_value=1e14))
def test_a_float_is_read_as_it_is_written_not_as_its_binary_noise(value):
    written = Decimal(repr(value))
    try:
        out = clean_custom_value(NUMBER, value)
    except FieldValueError:
        assert places(written) > 20  # refused, not rounded
    else:
        assert Decimal(out) == written


@given(st.decimals(min_value=-BOUND + 1, max_value=BOUND - 1, places=2, allow_nan=False,
                   allow_infinity=False))
def test_money_in_kopecks_is_exact(value):
    out = clean_custom_value(MONEY, str(value))
    assert Decimal(out) == value and places(Decimal(out)) == 2


@given(st.decimals(min_value=-BOUND + 1, max_value=BOUND - 1, places=6, allow_nan=False,
                   allow_infinity=False))
def test_money_below_a_kopeck_is_rounded_to_kopecks(value):
    out = Decimal(clean_custom_value(MONEY, value))
    assert places(out) == 2 and abs(out - value) <= Decimal("0.005")


@pytest.mark.parametrize("raw", ["1e15", "-1e15", "1000000000000000", "NaN", "-Infinity",
                                 "sNaN", "1e999999999", "1e-999999999", "1e-21",
                                 "0.000000000000000000001", "12,5,0", "1.2.3", "", "abc",
                                 True, False, [1], {"a": 1}, float("nan"), float("inf")])
def test_invalid_numbers_are_refused(raw):
    for kind_field in (NUMBER, MONEY):
        if raw == "":
            assert clean_custom_value(kind_field, raw) is None  # blank clears
            continue
        if kind_field is MONEY and raw in ("1e-999999999", "1e-21", "0.000000000000000000001"):
            assert clean_custom_value(kind_field, raw) == "0.00"
            continue
        with pytest.raises(FieldValueError):
            clean_custom_value(kind_field, raw)


# --- nothing but FieldValueError escapes ----------------------------------------------------

anything = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(),
    st.decimals(), st.dates(), st.datetimes(), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.from_regex(r"\s*[-+]?\d{0,20}([.,]\d{0,25})?([eE][-+]?\d{1,12})?\s*", fullmatch=True),
    st.from_regex(r"\d{4}-\d{2}-\d{2}", fullmatch=True),
    st.sampled_from(CHOICES + [" Опт ", "опт", "да", "нет", "Yes", "OFF", "2"]),
)


def assert_stored_form(kind_field: CustomField, out) -> None:
    if kind_field.kind == Kind.TEXT:
        assert isinstance(out, str) and out == out.strip() and 0 < len(out) <= TEXT_MAX
    elif kind_field.kind in (Kind.NUMBER, Kind.MONEY):
        value = Decimal(out)
        assert value.is_finite() and abs(value) <= BOUND and places(value) <= 20
        if kind_field.kind == Kind.MONEY:
            assert places(value) == 2
    elif kind_field.kind == Kind.DATE:
        assert datetime.date.fromisoformat(out).isoformat() == out
    elif kind_field.kind == Kind.CHOICE:
        assert out in CHOICES
    else:
        assert isinstance(out, bool)


@given(raw=anything, kind_field=st.sampled_from([NUMBER, MONEY, DATE, CHOICE, BOOLEAN, TEXT]))
def test_any_input_gives_a_clean_value_or_a_field_error(raw, kind_field):
    try:
        out = clean_custom_value(kind_field, raw)
    except FieldValueError as exc:
        assert str(exc)
        return
    if out is None:
        assert raw is None or (isinstance(raw, str) and not raw.strip())
    else:
        assert_stored_form(kind_field, out)


# --- dates, choices, yes/no, text -----------------------------------------------------------

@given(st.dates())
def test_dates_round_trip(value):
    assert clean_custom_value(DATE, value) == value.isoformat()
    assert clean_custom_value(DATE, f" {value.isoformat()} ") == value.isoformat()


@pytest.mark.parametrize("raw", ["31.12.2024", "2024-02-30", "2024-13-01", "вчера",
                                 datetime.datetime(2024, 5, 1, 23, 30)])
def test_invalid_dates_are_refused(raw):
    with pytest.raises(FieldValueError):
        clean_custom_value(DATE, raw)


def test_choices_yes_no_and_text():
    assert clean_custom_value(CHOICE, " Дилер ") == "Дилер"
    for bad in ("опт", "Другое", 1):
        with pytest.raises(FieldValueError):
            clean_custom_value(CHOICE, bad)
    for raw, answer in ((True, True), (False, False), ("да", True), ("Нет", False),
                        ("yes", True), ("0", False), (1, True)):
        assert clean_custom_value(BOOLEAN, raw) is answer
    for bad in ("может быть", 2, "y"):
        with pytest.raises(FieldValueError):
            clean_custom_value(BOOLEAN, bad)
    assert clean_custom_value(TEXT, "  Монтаж  ") == "Монтаж"
    assert clean_custom_value(TEXT, "я" * TEXT_MAX) == "я" * TEXT_MAX
    with pytest.raises(FieldValueError):
        clean_custom_value(TEXT, "я" * (TEXT_MAX + 1))


# --- through the services -------------------------------------------------------------------

@pytest.fixture
def fields_pipeline(team):
    pipeline = plain_pipeline(team, 4)
    for name, code, kind in (("Площадь", "area", "number"), ("Сумма", "amount", "money"),
                             ("Дата монтажа", "mount", "date"), ("Канал", "channel", "choice"),
                             ("Монтаж", "install", "boolean"), ("Комментарий", "note", "text")):
        custom_field_create(actor=None, pipeline=pipeline, name=name, code=code, kind=kind,
                            choices=CHOICES if kind == "choice" else None)
    return pipeline


def test_deal_update_stores_clean_values(fields_pipeline, manager):
    deal = make_deal(fields_pipeline, manager)
    deal_update(deal=deal, actor=manager, custom_fields={
        "area": "12,50", "amount": "1 000 000.5", "mount": "2024-06-01", "channel": "Опт",
        "install": "нет", "note": "  позвонить "})
    deal.refresh_from_db()
    assert deal.custom_fields == {"area": "12.50", "amount": "1000000.50", "mount": "2024-06-01",
                                  "channel": "Опт", "install": False, "note": "позвонить"}
    deal_update(deal=deal, actor=manager, custom_fields={"note": "", "install": None})
    deal.refresh_from_db()
    assert "note" not in deal.custom_fields and "install" not in deal.custom_fields


def test_bad_custom_values_name_every_field_and_write_nothing(fields_pipeline, manager):
    deal = make_deal(fields_pipeline, manager, custom_fields={"area": "10"})
    audit = FieldChange.objects.count()
    with pytest.raises(ValidationError) as exc:
        deal_update(deal=deal, actor=manager, custom_fields={
            "area": "десять", "amount": "1e20", "mount": "31.12.2024", "channel": "Бартер",
            "install": "может быть", "ghost": "1", "note": "ok"}, budget="500")
    assert set(exc.value.errors) == {f"custom_fields.{c}" for c in (
        "area", "amount", "mount", "channel", "install", "ghost")}
    deal.refresh_from_db()
    assert (deal.custom_fields, deal.budget, deal.version) == ({"area": "10"}, Decimal("0"), 1)
    assert FieldChange.objects.count() == audit


def test_deal_create_with_a_bad_custom_value_creates_nothing(fields_pipeline, manager):
    count = Deal.objects.count()
    with pytest.raises(ValidationError) as exc:
        deal_create(actor=manager, pipeline=fields_pipeline, title="Окна",
                    custom_fields={"channel": "Бартер"})
    assert list(exc.value.errors) == ["custom_fields.channel"]
    assert Deal.objects.count() == count


def test_custom_field_definitions_are_validated(team, head, manager):
    pipeline = plain_pipeline(team, 4)
    cyr = custom_field_create(actor=head, pipeline=pipeline, name="Этаж", kind="number")
    assert cyr.code == "field_1"  # a Cyrillic name slugifies to nothing
    assert custom_field_create(actor=head, pipeline=pipeline, name="Лифт", code="Has Lift",
                               kind="boolean").code == "has_lift"
    for kwargs, key in (
        ({"name": " ", "kind": "text"}, "name"),
        ({"name": "Тип", "kind": "colour"}, "kind"),
        ({"name": "Канал", "kind": "choice", "choices": [" ", ""]}, "choices"),
        ({"name": "Этаж 2", "kind": "number", "code": cyr.code}, "code"),
    ):
        with pytest.raises(ValidationError) as exc:
            custom_field_create(actor=head, pipeline=pipeline, **kwargs)
        assert key in exc.value.errors
    from voronka.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        custom_field_create(actor=manager, pipeline=pipeline, name="Моё", kind="text")
    assert CustomField.objects.filter(pipeline=pipeline).count() == 2


def test_a_field_name_is_unique_in_its_pipeline_and_codes_never_collide(team, head):
    pipeline = plain_pipeline(team, 4)
    custom_field_create(actor=head, pipeline=pipeline, name="Отрасль клиента", kind="text")
    with pytest.raises(ValidationError) as exc:  # the same name (any case): the form's field
        custom_field_create(actor=head, pipeline=pipeline, name=" отрасль КЛИЕНТА ",
                            kind="text")
    assert set(exc.value.errors) == {"name"}
    # A name whose slug is another field's code gets a code of its own, not a "code" error
    # on a form that has no such field.
    custom_field_create(actor=head, pipeline=pipeline, name="Industry", kind="text")
    other = custom_field_create(actor=head, pipeline=pipeline, name="industry!", kind="text")
    assert other.code == "industry_2"
    # A Cyrillic name after a removed field: the next free "field_N", not a taken one.
    CustomField.objects.filter(pipeline=pipeline, code="industry").delete()
    third = custom_field_create(actor=head, pipeline=pipeline, name="Этаж", kind="number")
    assert third.code not in {"field_1", "industry_2"}
    assert len(set(CustomField.objects.filter(pipeline=pipeline)
                   .values_list("code", flat=True))) == 3


@pytest.mark.parametrize("code", ["поле", "!!!", " - "])
def test_a_given_code_with_nothing_usable_is_refused_naming_it(team, head, code):
    pipeline = plain_pipeline(team, 4)
    with pytest.raises(ValidationError) as exc:
        custom_field_create(actor=head, pipeline=pipeline, name="Поле", kind="text", code=code)
    assert set(exc.value.errors) == {"code"}
    assert not CustomField.objects.filter(pipeline=pipeline).exists()
