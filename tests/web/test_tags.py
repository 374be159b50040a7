"""Template helpers: money, due dates (the fast path must equal Django's own formatting)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import formats, timezone, translation

from voronka.web.templatetags.web_tags import change_value, due, money, timedelta_days


@pytest.mark.parametrize("lang", ["ru", "en"])
@pytest.mark.parametrize("days", [-40, -3, 2, 9, 400])
def test_due_matches_django_formatting(lang, days):
    when = timezone.now() + datetime.timedelta(days=days)
    local = timezone.localtime(when)
    with translation.override(lang):
        expected = f"{formats.date_format(local.date(), 'SHORT_DATE_FORMAT')} " \
                   f"{local:%H:%M}"
        assert due(when) == expected


def test_due_says_today_tomorrow_yesterday():
    now = timezone.localtime().replace(hour=12, minute=30)
    with translation.override("en"):
        assert due(now) == "today 12:30"
        assert due(now + datetime.timedelta(days=1)) == "tomorrow 12:30"
        assert due(now - datetime.timedelta(days=1)) == "yesterday 12:30"
    assert due(None) == ""


def test_money_groups_thousands_and_rounds():
    assert money(Decimal("1234567.50")) == "1\u00a0234\u00a0568\u00a0₽"
    assert money(0) == "0\u00a0₽" and money(None) == ""


def test_time_in_stage_is_coarse():
    with translation.override("en"):
        assert timedelta_days(3 * 86400 + 5) == "3 days"
        assert timedelta_days(7200) == "2 hours"
        assert timedelta_days(59) == "0 minutes"


@pytest.mark.parametrize(("field", "stored", "shown"), [
    ("company", "818:ООО «Ромашка»", "ООО «Ромашка»"),
    ("owner", "7:Ольга Орлова", "Ольга Орлова"),
    ("contacts", "+2512:Иван Тестов (decision_maker)", "added: Иван Тестов (Decision maker)"),
    ("contacts", "-2512:Иван Тестов", "removed: Иван Тестов"),
    ("budget", "1500000.5", "1\xa0500\xa0000\xa0₽"),  # as on the cards
    ("budget", "", "—"),
    ("expected_close_date", "2026-12-01", "12/01/2026"),
    ("title", "12:не ссылка", "12:не ссылка"),  # only references lose their id
    ("stage", "12:Согласовываю ТЗ", "Согласовываю ТЗ"),  # an administrator's correction
    ("custom_fields.support", "true", "Yes"),
    ("custom_fields.launch", "2026-12-01", "12/01/2026"),
    ("custom_fields.note", "12:30 у входа", "12:30 у входа"),
])
def test_field_changes_read_as_the_user_expects(field, stored, shown):
    with translation.override("en"):
        assert change_value(stored, field) == shown


@pytest.mark.parametrize(("hours", "shown"), [(336, "14 days"), (48, "2 days"), (24, "24 hours"),
                                              (36, "36 hours"), (1, "1 hour"), (None, "")])
def test_a_time_limit_reads_in_days_when_it_is_days(hours, shown):
    from voronka.web.templatetags.web_tags import hours_or_days

    with translation.override("en"):
        assert hours_or_days(hours) == shown
