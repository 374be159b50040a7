"""Filter menus, call minutes, stays over a limit, and how the reports read in Russian."""

import csv
import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from tests.factories import UserFactory, make_deal, plain_pipeline
from voronka.accounts.models import Role
from voronka.activities.models import Call
from voronka.analytics.drill import drill
from voronka.analytics.forms import ReportFilterForm
from voronka.analytics.managers import managers_report
from voronka.analytics.query import FLOW, Filters, context
from voronka.analytics.selectors import report_sources
from voronka.analytics.templatetags.analytics_tags import days, hours, share
from voronka.analytics.timing import timing_report
from voronka.deals import services

MSK = ZoneInfo("Europe/Moscow")


def at(month, day, hour=12):
    return datetime.datetime(2025, month, day, hour, tzinfo=MSK)


JAN = "from=2025-01-01&to=2025-01-31"


@pytest.fixture
def msk(settings):
    settings.TIME_ZONE = "Europe/Moscow"


def test_source_menu_is_what_the_user_may_see(team, manager, manager2, head, admin):
    p = plain_pipeline(team, 3)
    make_deal(p, manager, budget=1, source="site")
    make_deal(p, manager2, budget=1, source="Тендер Газпром 2025")
    assert report_sources(user=manager, pipeline=p) == ["site"]
    assert report_sources(user=manager2, pipeline=p) == ["Тендер Газпром 2025"]
    assert report_sources(user=head, pipeline=p) == ["site", "Тендер Газпром 2025"]
    assert report_sources(user=admin, pipeline=p) == ["site", "Тендер Газпром 2025"]


def test_manager_menu_does_not_list_other_managers_sources(client, team, manager, manager2):
    p = plain_pipeline(team, 3)
    make_deal(p, manager2, budget=1, source="Тендер Газпром 2025")
    client.force_login(manager)
    r = client.get(f"/reports/funnel/?pipeline={p.pk}")
    assert r.status_code == 200
    assert "Тендер Газпром 2025" not in r.content.decode()


def test_a_new_source_is_offered_at_once(client, team, admin, manager):
    p = plain_pipeline(team, 3)
    client.force_login(admin)
    assert client.get(f"/reports/funnel/?pipeline={p.pk}").status_code == 200  # rollups made
    make_deal(p, manager, budget=1, source="site")
    r = client.get(f"/reports/funnel/?pipeline={p.pk}&source=site&period=this_month")
    assert r.status_code == 200 and ">site<" in r.content.decode()


def test_total_call_minutes_are_rounded_once(msk, team, manager, manager2, admin):
    p = plain_pipeline(team, 3)
    m3 = UserFactory(team=team, role=Role.MANAGER)
    for u in (manager, manager2, m3):
        make_deal(p, u, budget=1, created_at=at(1, 10))
        Call.objects.create(direction="outbound", phone="+70000000000", started_at=at(1, 11),
                            duration_seconds=20, user=u)
    _c, rep = managers_report(user=admin, filters=Filters(p.pk, datetime.date(2025, 1, 1),
                                                          datetime.date(2025, 1, 31)))
    assert [r.call_minutes for r in rep.rows] == [Decimal("0.3")] * 3
    assert rep.total_call_minutes == Decimal("1.0")  # 60 s, not 0.3 × 3 = 0.9


@pytest.mark.parametrize("limit, over", [(100, 1), (96, 2), (97, 1), (48, 2)])
def test_stays_over_a_limit_are_counted_exactly(msk, team, manager, admin, limit, over):
    """Stays of 97 h and 101 h: over 100 h is one (the 97-hour stay's bucket is 120 h)."""
    p = plain_pipeline(team, 3)
    s = list(p.stages.order_by("position"))
    s[0].time_limit_hours = limit
    s[0].save(update_fields=["time_limit_hours"])
    for hours_in in (97, 101):
        d = make_deal(p, manager, budget=1, created_at=at(1, 1))
        services.deal_move(deal=d, to_stage=s[1], actor=manager,
                           at=at(1, 1) + datetime.timedelta(hours=hours_in))
    f = Filters(p.pk, datetime.date(2025, 1, 1), datetime.date(2025, 1, 31), FLOW)
    st = timing_report(user=admin, filters=f)[1].stages[0]
    assert (st.stays, st.over_limit, st.over_limit_share) == (2, over, over / 2)
    cell = f"stays:{s[0].pk}:over"
    assert drill(user=admin, ctx=context(admin, f), cell=cell).queryset.count() == over


def test_win_rate_reads_won_of_closed(msk, client, team, manager, admin):
    p = plain_pipeline(team, 3, reasons=["Дорого"])
    reason = p.loss_reasons.get()
    for i in range(3):
        d = make_deal(p, manager, budget=1, created_at=at(1, 5))
        if i == 0:
            services.deal_win(deal=d, actor=manager, at=at(1, 6))
        else:
            services.deal_archive(deal=d, actor=manager, reason=reason, at=at(1, 6))
    client.force_login(admin)
    html = client.get(f"/reports/time/?pipeline={p.pk}&{JAN}").content.decode()
    assert "33%" in html
    assert "1</a> of 3</span>" in html  # one won of three closed, not "1 / 2"


def test_stage_limits_in_days_when_they_are_days(msk, client, team, admin, manager):
    p = plain_pipeline(team, 3)
    s = list(p.stages.order_by("position"))
    s[0].time_limit_hours, s[1].time_limit_hours = 336, 100
    for stage in s[:2]:
        stage.save(update_fields=["time_limit_hours"])
    make_deal(p, manager, budget=1, created_at=at(1, 5))
    client.force_login(admin)
    html = client.get(f"/reports/time/?pipeline={p.pk}&{JAN}").content.decode()
    assert "limit 14 days" in html and "limit 100 hours" in html and "336" not in html
    text = client.get(f"/reports/time/export.csv?pipeline={p.pk}&{JAN}").content.decode(
        "utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = next(r for r in rows if r and r[0] == "Stage")
    limit = header.index("Time limit")
    assert [r[limit] for r in rows[rows.index(header) + 1:][:3]] == ["14 days", "100 hours", ""]


def test_date_range_labels_are_not_the_mail_recipient(client, team, admin, manager):
    with translation.override("ru"):
        labels = [str(ReportFilterForm.base_fields[name].label)
                  for name in ("date_from", "date_to")]
        assert "Кому" not in labels and labels[1] in ("По", "To")
    assert [str(ReportFilterForm.base_fields[n].label) for n in ("date_from", "date_to")] == [
        "From", "To"]
    p = plain_pipeline(team, 3)
    make_deal(p, manager, budget=1)
    admin.language = "ru"
    admin.save(update_fields=["language"])
    client.force_login(admin)
    for url in (f"/reports/dynamics/?pipeline={p.pk}",
                f"/reports/dynamics/export.csv?pipeline={p.pk}"):
        assert "Кому" not in client.get(url).content.decode("utf-8-sig")


def test_numbers_use_the_languages_decimal_separator():
    with translation.override("ru"):
        assert share(0.083) == "8,3%" and share(0.5) == "50%"
        assert "15,8" in days(Decimal("15.83")) and "2,5" in hours(60)
        assert "4,5" in hours(4.5)
    with translation.override("en"):
        assert share(0.083) == "8.3%"
        assert days(Decimal("15.83")) == "15.8 d" and hours(60) == "2.5 d"


def _export(client, user, p, language):
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    r = client.get(f"/reports/funnel/export.csv?pipeline={p.pk}&{JAN}&mode=cohort")
    assert r.status_code == 200
    return r.content


def test_csv_for_a_russian_reader(msk, client, team, manager, admin):
    p = plain_pipeline(team, 3)
    s = list(p.stages.order_by("position"))
    for i in range(5):
        d = make_deal(p, manager, budget="1234.50", created_at=at(1, 5))
        if i < 2:
            services.deal_move(deal=d, to_stage=s[1], actor=manager, at=at(1, 6))
    raw = _export(client, admin, p, "ru")
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    funnel = rows[[i for i, r in enumerate(rows) if r and r[0] == s[0].name][0]]
    assert funnel[:3] == [s[0].name, "5", "6172,50"]  # five deals of 1 234,50
    assert funnel[5] == "0,4000"  # 2 of 5 to the next stage
    generated = next(r[1] for r in rows if len(r) > 1 and r[1].startswith("20")
                     and ":" in r[1])
    assert generated.endswith("+03:00")  # Moscow time, not UTC
    text = _export(client, admin, p, "en").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    funnel = rows[[i for i, r in enumerate(rows) if r and r[0] == s[0].name][0]]
    assert funnel[:3] == [s[0].name, "5", "6172.50"] and funnel[5] == "0.4000"
