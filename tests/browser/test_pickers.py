"""The searchable picker as a person uses it: type in the search box, the matches among all
the companies the user may see replace the select's options, pick one, save."""

from __future__ import annotations

from voronka.crm.models import Company
from voronka.deals.models import Deal
from voronka.deals.services import deal_update

from ..factories import make_deal
from .conftest import log_in, screenshot

N = 305


def _companies(manager) -> list[Company]:
    Company.objects.bulk_create([Company(name=f"Компания {i:04d}", owner=manager)
                                 for i in range(1, N + 1)])
    return list(Company.objects.filter(owner=manager).order_by("name"))


def test_search_and_set_a_company_beyond_the_first_300(page, pipeline, stages, manager):
    companies = _companies(manager)
    deal = make_deal(pipeline, manager, title="Поиск компании", budget="1000")
    log_in(page, manager)
    page.goto(page.base + f"/deals/{deal.pk}/")
    panel = page.locator("#company")
    panel.locator("summary").click()
    select = panel.locator("select[name=company]")
    assert select.locator(f"option[value='{companies[-1].pk}']").count() == 0
    panel.locator("input.search-select-q").fill("Компания 0305")
    select.locator(f"option[value='{companies[-1].pk}']").wait_for(state="attached")
    select.select_option(str(companies[-1].pk))
    panel.locator("button[type=submit]").click()
    page.locator("#company a", has_text="Компания 0305").wait_for()
    assert Deal.objects.get(pk=deal.pk).company_id == companies[-1].pk


def test_search_keeps_the_chosen_company_and_enter_saves_nothing(page, pipeline, stages,
                                                                 manager):
    companies = _companies(manager)
    deal = deal_update(deal=make_deal(pipeline, manager, title="Без потерь", budget="1000"),
                       actor=manager, company=companies[-1])
    version = Deal.objects.get(pk=deal.pk).version
    log_in(page, manager)
    page.goto(page.base + f"/deals/{deal.pk}/")
    form = page.locator("#deal-form")
    select = form.locator("select[name=company]")
    assert select.input_value() == str(companies[-1].pk)
    search = form.locator("input.search-select-q")
    search.fill("Компания 000")
    select.locator(f"option[value='{companies[0].pk}']").wait_for(state="attached")
    # The chosen company stays in the list and chosen.
    assert select.input_value() == str(companies[-1].pk)
    search.press("Enter")  # the box belongs to no form: nothing is submitted
    page.wait_for_timeout(300)
    assert Deal.objects.get(pk=deal.pk).version == version
    form.locator("input[name=budget]").fill("2000")
    form.locator("button[type=submit]").click()
    page.locator("#messages .toast", has_text="The deal is saved.").wait_for()
    deal.refresh_from_db()
    assert deal.company_id == companies[-1].pk and str(deal.budget) == "2000.00"


def test_pickers_fit_a_phone_screen(page, pipeline, stages, manager):
    companies = _companies(manager)
    deal = deal_update(deal=make_deal(pipeline, manager, title="Телефон", budget="1000"),
                       actor=manager, company=companies[-1])
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, manager)
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    page.goto(page.base + f"/deals/{deal.pk}/")
    for summary in page.locator("#contacts summary, #company summary").all():
        summary.click()
    assert page.evaluate(overflow) <= 0
    screenshot(page, "deal-pickers-390", full_page=True)
    for path in ("/contacts/new/", "/deals/new/"):
        page.goto(page.base + path)
        assert page.evaluate(overflow) <= 0, path
