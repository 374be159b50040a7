"""The Reports pages, exports and drill-downs through the web, for every role."""

import csv
import io

import pytest
from django.urls import reverse

from voronka.analytics.views import REPORTS

Q = "from=2025-01-01&to=2025-02-28"


def page(client, user, url, status=200):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == status, response.content[:2000]
    return response


@pytest.mark.parametrize("name", REPORTS)
@pytest.mark.parametrize("who", ["admin", "head", "manager", "marketer"])
def test_every_report_renders_for_every_role(name, who, client, history, request):
    user = request.getfixturevalue(who)
    p = history["pipeline"].pk
    for mode in ("cohort", "flow"):
        html = page(client, user, f"/reports/{name}/?pipeline={p}&{Q}&mode={mode}").content
        assert b'data-chart="chart-' in html  # a chart …
        assert b'<table class="table' in html  # … with its table
        assert b"/reports/deals/?" in html  # numbers link to their deals
        assert b'class="metric" title="' in html  # definitions on hover


def test_funnel_page_shows_the_figures(client, admin, history):
    p = history["pipeline"].pk
    html = page(client, admin, f"/reports/funnel/?pipeline={p}&{Q}").content.decode()
    assert "40%" in html  # conversion 2 / 5
    assert "cell=reached%3A" in html and "cell=lost%3A" in html


def test_manager_sees_only_own_deals(client, manager, manager2, history):
    p = history["pipeline"].pk
    html = page(client, manager, f"/reports/managers/?pipeline={p}&{Q}").content.decode()
    assert str(manager) in html and str(manager2) not in html
    # Asking for the other manager's deals answers with nothing of theirs.
    html = page(client, manager, f"/reports/deals/?pipeline={p}&{Q}&cell=won"
                                 f"&mode=flow").content.decode()
    assert ">A<" in html and ">E<" not in html


def test_marketer_reads_reports_but_cannot_change_deals(client, marketer, history):
    from voronka.core.errors import PermissionDenied
    from voronka.deals.services import deal_move

    p = history["pipeline"].pk
    page(client, marketer, f"/reports/funnel/?pipeline={p}&{Q}")
    deal = history["deals"]["C"]
    with pytest.raises(PermissionDenied):
        deal_move(deal=deal, to_stage=history["stages"][3], actor=marketer)


@pytest.mark.parametrize("name", REPORTS)
def test_exports(name, client, admin, history):
    from openpyxl import load_workbook

    p = history["pipeline"].pk
    r = page(client, admin, f"/reports/{name}/export.csv?pipeline={p}&{Q}&mode=flow")
    assert r["Content-Type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] and history["pipeline"].name in text
    r = page(client, admin, f"/reports/{name}/export.xlsx?pipeline={p}&{Q}&mode=flow")
    book = load_workbook(io.BytesIO(r.content))
    assert len(book.sheetnames) >= 3  # filters, the report's tables, definitions


def test_funnel_export_figures(client, admin, history):
    from openpyxl import load_workbook

    p = history["pipeline"].pk
    r = page(client, admin, f"/reports/funnel/export.xlsx?pipeline={p}&{Q}&mode=cohort")
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[1]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("Этап 1", 5, 1500)
    assert [row[1] for row in rows[1:]] == [5, 5, 4, 2, 2]
    assert rows[3][5] == pytest.approx(0.5)  # stage 3 → 4: 2 of 4


def test_bad_input_names_the_field(client, admin, history):
    p = history["pipeline"].pk
    r = page(client, admin, f"/reports/funnel/?pipeline={p}&period=custom&from=2025-03-01"
                            f"&to=2025-01-01", status=400)
    assert "The end is before the start." in r.content.decode()
    r = page(client, admin, "/reports/funnel/?pipeline=999999", status=400)
    assert b"f-pipeline" in r.content
    r = page(client, admin, f"/reports/deals/?pipeline={p}&{Q}&cell=reached:nope", status=400)
    assert b"cell" in r.content
    page(client, admin, f"/reports/funnel/export.csv?pipeline={p}&period=custom&from=x",
         status=400)
    page(client, admin, "/reports/nonsense/", status=404)


def test_other_team_pipeline_is_not_offered(client, manager, other_pipeline, other_manager,
                                            history):
    from tests.factories import make_deal

    make_deal(other_pipeline, other_manager, source="Tender-portal-SECRET")
    r = page(client, manager, f"/reports/funnel/?pipeline={other_pipeline.pk}&{Q}", status=400)
    html = r.content.decode()
    assert other_pipeline.name not in html
    assert "Tender-portal-SECRET" not in html  # nor its deals' sources in the menu


@pytest.mark.parametrize("value", ["²", "99999999999999999999", "-1"])
def test_a_pipeline_that_cannot_be_an_id_is_a_bad_filter_not_a_crash(client, manager, history,
                                                                     value):
    page(client, manager, f"/reports/funnel/?pipeline={value}&{Q}", status=400)


def test_navigation_link(client, admin, history):
    html = page(client, admin, reverse("web:board")).content.decode()
    assert 'href="/reports/"' in html
    assert page(client, admin, "/reports/", status=302)["Location"].endswith("/reports/funnel/")


def test_drill_page_goes_back_to_its_report(client, admin, history):
    p = history["pipeline"].pk
    html = page(client, admin, f"/reports/time/?pipeline={p}&{Q}").content.decode()
    assert "from_report=time" in html
    r = page(client, admin, f"/reports/deals/?pipeline={p}&{Q}&mode=flow&cell=won"
                            f"&from_report=time")
    body = r.content.decode()
    assert 'href="/reports/time/?' in body and "Won in the period" in body
    assert '<span class="pill">1</span>' in body  # A, won on 20 January


def test_exports_keep_names_that_look_like_formulas_as_text(client, admin, history):
    from openpyxl import load_workbook

    from voronka.pipelines.models import Stage

    stage = history["stages"][0]
    Stage.objects.filter(pk=stage.pk).update(name="=HYPERLINK(\"http://x\")")
    p = history["pipeline"].pk
    r = page(client, admin, f"/reports/funnel/export.csv?pipeline={p}&{Q}&mode=cohort")
    text = r.content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert not any(cell.startswith("=") for row in csv.reader(io.StringIO(text)) for cell in row)
    r = page(client, admin, f"/reports/funnel/export.xlsx?pipeline={p}&{Q}&mode=cohort")
    book = load_workbook(io.BytesIO(r.content))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert any(c.value == "=HYPERLINK(\"http://x\")" for c in cells)
    assert all(c.data_type != "f" for c in cells)
